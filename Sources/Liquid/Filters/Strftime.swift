/// Ruby's `Time#strftime`, with its flags (`-` no padding, `_` spaces, `0` zeros, `^` upper case, `#` swap case),
/// widths and `%:z`. Writes bytes, as it runs for every date a template prints.
enum Strftime {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthAbbreviations = monthNames.map { String($0.prefix(3)) }
    static let dayAbbreviations = dayNames.map { String($0.prefix(3)) }

    /// The flags between `%` and a directive.
    struct Flags {
        var noPadding = false, spaces = false, zeros = false, upper = false, swapCase = false

        /// Records `c` when it is a flag.
        mutating func insert(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "-"): noPadding = true
            case UInt8(ascii: "_"): spaces = true
            case UInt8(ascii: "0"): zeros = true
            case UInt8(ascii: "^"): upper = true
            case UInt8(ascii: "#"): swapCase = true
            default: return false
            }
            return true
        }
    }

    static func format(_ time: LiquidTime, _ format: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(format.utf8.count + 24)
        var pattern = format
        pattern.withUTF8 { write(time, $0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ time: LiquidTime, _ u: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let f = time.fields
        var i = 0
        while i < u.count {
            guard u[i] == UInt8(ascii: "%"), i + 1 < u.count else {
                out.append(u[i])
                i += 1
                continue
            }
            let start = i
            i += 1
            var flags = Flags()
            while i < u.count, flags.insert(u[i]) { i += 1 }
            var width: Int?
            while i < u.count && isDigit(u[i]) {
                width = min((width ?? 0) * 10 + Int(u[i] - 48), 1024)
                i += 1
            }
            var colons = 0
            while i < u.count && u[i] == UInt8(ascii: ":") {
                colons += 1
                i += 1
            }
            guard i < u.count else {
                out.append(contentsOf: u[start...])
                break
            }
            let d = u[i]
            i += 1

            func number(_ v: Int, _ defaultWidth: Int, pad: UInt8 = UInt8(ascii: "0")) {
                var padding: UInt8? = pad
                if flags.noPadding { padding = nil }
                if flags.spaces { padding = UInt8(ascii: " ") }
                if flags.zeros { padding = UInt8(ascii: "0") }
                var m = v.magnitude
                var digitCount = 1
                while m >= 10 {
                    m /= 10
                    digitCount += 1
                }
                let length = digitCount + (v < 0 ? 1 : 0)
                let fill = max(0, (width ?? defaultWidth) - length)
                if let padding, padding == UInt8(ascii: " ") {
                    out.append(contentsOf: repeatElement(padding, count: fill))
                }
                if v < 0 { out.append(UInt8(ascii: "-")) }
                if let padding, padding == UInt8(ascii: "0") {
                    out.append(contentsOf: repeatElement(padding, count: fill))
                }
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digitCount))
                var rest = v.magnitude
                var k = out.count - 1
                repeat {
                    out[k] = UInt8(48 + rest % 10)
                    rest /= 10
                    k -= 1
                } while rest > 0
            }
            func text(_ s: String) {
                if !flags.upper && !flags.swapCase && width == nil {
                    out.append(contentsOf: s.utf8)
                    return
                }
                var r = s
                if flags.upper { r = r.uppercased() }
                if flags.swapCase { r = r == r.uppercased() ? r.lowercased() : r.uppercased() }
                if let width, r.count < width {
                    out.append(contentsOf: repeatElement(flags.zeros ? UInt8(ascii: "0") : UInt8(ascii: " "), count: width - r.count))
                }
                out.append(contentsOf: r.utf8)
            }
            func composite(_ pattern: String) {
                if flags.upper || flags.swapCase || width != nil {
                    text(Self.format(time, pattern))
                } else {
                    var pattern = pattern
                    pattern.withUTF8 { write(time, $0, into: &out) }
                }
            }
            func fraction(_ defaultDigits: Int) {
                let digits = width ?? defaultDigits
                var n = time.nanoseconds
                var nine: [UInt8] = Array(repeating: UInt8(ascii: "0"), count: 9)
                for k in stride(from: 8, through: 0, by: -1) {
                    nine[k] = UInt8(48 + n % 10)
                    n /= 10
                }
                out.append(contentsOf: nine.prefix(digits))
                if digits > 9 { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits - 9)) }
            }

            let hour12 = f.hour % 12 == 0 ? 12 : f.hour % 12
            switch d {
            case UInt8(ascii: "Y"): number(f.year, f.year < 0 ? 5 : 4)
            case UInt8(ascii: "C"): number(Int((Double(f.year) / 100).rounded(.down)), 2)
            case UInt8(ascii: "y"): number(((f.year % 100) + 100) % 100, 2)
            case UInt8(ascii: "m"): number(f.month, 2)
            case UInt8(ascii: "B"): text(monthNames[f.month - 1])
            case UInt8(ascii: "b"), UInt8(ascii: "h"): text(monthAbbreviations[f.month - 1])
            case UInt8(ascii: "d"): number(f.day, 2)
            case UInt8(ascii: "e"): number(f.day, 2, pad: UInt8(ascii: " "))
            case UInt8(ascii: "j"): number(f.dayOfYear, 3)
            case UInt8(ascii: "H"): number(f.hour, 2)
            case UInt8(ascii: "k"): number(f.hour, 2, pad: UInt8(ascii: " "))
            case UInt8(ascii: "I"): number(hour12, 2)
            case UInt8(ascii: "l"): number(hour12, 2, pad: UInt8(ascii: " "))
            case UInt8(ascii: "P"): text(f.hour < 12 ? "am" : "pm")
            case UInt8(ascii: "p"):
                if flags.swapCase {
                    out.append(contentsOf: (f.hour < 12 ? "am" : "pm").utf8)
                } else {
                    text(f.hour < 12 ? "AM" : "PM")
                }
            case UInt8(ascii: "M"): number(f.minute, 2)
            case UInt8(ascii: "S"): number(f.second, 2)
            case UInt8(ascii: "L"): fraction(3)
            case UInt8(ascii: "N"): fraction(9)
            case UInt8(ascii: "z"):
                let a = abs(time.offset)
                out.append(time.offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                let savedWidth = width
                width = nil
                number(a / 3600, 2)
                if colons >= 1 { out.append(UInt8(ascii: ":")) }
                number(a % 3600 / 60, 2)
                if colons >= 2 {
                    out.append(UInt8(ascii: ":"))
                    number(a % 60, 2)
                }
                width = savedWidth
            case UInt8(ascii: "Z"): text(time.zoneName)
            case UInt8(ascii: "A"): text(dayNames[f.weekday])
            case UInt8(ascii: "a"): text(dayAbbreviations[f.weekday])
            case UInt8(ascii: "u"): number(f.weekday == 0 ? 7 : f.weekday, 1)
            case UInt8(ascii: "w"): number(f.weekday, 1)
            case UInt8(ascii: "U"): number((f.dayOfYear - 1 + 7 - f.weekday) / 7, 2)
            case UInt8(ascii: "W"): number((f.dayOfYear - 1 + 7 - ((f.weekday + 6) % 7)) / 7, 2)
            case UInt8(ascii: "G"), UInt8(ascii: "g"), UInt8(ascii: "V"):
                let (isoYear, week) = isoWeek(f)
                if d == UInt8(ascii: "G") { number(isoYear, 4) }
                else if d == UInt8(ascii: "g") { number(((isoYear % 100) + 100) % 100, 2) }
                else { number(week, 2) }
            case UInt8(ascii: "s"): number(time.seconds, 1)
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "%"): out.append(UInt8(ascii: "%"))
            case UInt8(ascii: "c"): composite("%a %b %e %H:%M:%S %Y")
            case UInt8(ascii: "D"), UInt8(ascii: "x"): composite("%m/%d/%y")
            case UInt8(ascii: "F"): composite("%Y-%m-%d")
            case UInt8(ascii: "T"), UInt8(ascii: "X"): composite("%H:%M:%S")
            case UInt8(ascii: "R"): composite("%H:%M")
            case UInt8(ascii: "r"): composite("%I:%M:%S %p")
            case UInt8(ascii: "+"): composite("%a %b %e %H:%M:%S %Z %Y")
            default: out.append(contentsOf: u[start..<i])
            }
        }
    }

    /// ISO 8601 week-based year and week number.
    static func isoWeek(_ f: LiquidTime.Components) -> (Int, Int) {
        let isoWeekday = f.weekday == 0 ? 7 : f.weekday
        let week = (f.dayOfYear - isoWeekday + 10) / 7
        if week < 1 {
            let previous = f.year - 1
            let jan1 = ((f.weekday - (f.dayOfYear - 1)) % 7 + 7) % 7
            let previousJan1 = ((jan1 - (isLeap(previous) ? 366 : 365)) % 7 + 7) % 7
            let longYear = previousJan1 == 4 || (isLeap(previous) && previousJan1 == 3)
            return (previous, longYear ? 53 : 52)
        }
        let daysInYear = isLeap(f.year) ? 366 : 365
        if week == 53 && (daysInYear - f.dayOfYear) < (4 - isoWeekday) {
            return (f.year + 1, 1)
        }
        return (f.year, week)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
}
