import Foundation

/// `{{ value | date: "%b %-d", "Europe/Paris" }}`: formats a time with Ruby's `strftime`,
/// optionally shown in a named time zone (else the render's default zone, else the time's own offset).
enum DateFilter {
    @Sendable static func date(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("date", min: 1, max: 2)
        let format = rubyString(args[0]!)
        if format.isEmpty { return input }
        var zone = context.options.timeZone
        if let name = args[1], !name.isNil {
            guard let z = TimeZone(identifier: rubyString(name)) ?? TimeZone(abbreviation: rubyString(name)) else {
                throw LiquidError.argument("date: unknown time zone '\(rubyString(name))'")
            }
            zone = z
        }
        guard var time = toTime(input, context: context, zone: zone) else { return input }
        if let zone { time = time.converted(to: zone) }
        return .string(Strftime.format(time, format))
    }

    /// `Utils.to_date`: "now"/"today", integer timestamps (also as digit strings), then parsed strings.
    static func toTime(_ input: Value, context: Context, zone: TimeZone?) -> LiquidTime? {
        let utc = { (seconds: Int, nanos: Int) in LiquidTime(seconds: seconds, nanoseconds: nanos, offset: 0, zoneName: "UTC") }
        switch input {
        case .int(let i): return utc(i, 0)
        case .double(let d) where d.isFinite:
            let s = d.rounded(.down)
            return utc(Int(s), Int((d - s) * 1e9))
        case .string(let raw):
            if raw.isEmpty { return nil }
            if raw.utf8.count <= 5, case let s = raw.lowercased(), s == "now" || s == "today" {
                let now = context.options.now ?? Date()
                let t = now.timeIntervalSince1970
                return utc(Int(t.rounded(.down)), Int((t - t.rounded(.down)) * 1e9))
            }
            if raw.utf8.allSatisfy(isDigit), let i = Int(raw) { return utc(i, 0) }
            return DateParser.parse(raw, zone: zone)
        default:
            return nil
        }
    }
}

/// Ruby's `Time#strftime`, with its flags (`-` no padding, `_` spaces, `0` zeros, `^` upper case, `#` swap case),
/// widths and `%:z`.
enum Strftime {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ time: LiquidTime, _ format: String) -> String {
        let f = time.fields
        var out = ""
        let u = Array(format.utf8)
        var i = 0
        while i < u.count {
            guard u[i] == UInt8(ascii: "%"), i + 1 < u.count else {
                let s = i
                i += 1
                while i < u.count && u[i] != UInt8(ascii: "%") { i += 1 }
                out += String(decoding: u[s..<i], as: UTF8.self)
                continue
            }
            let start = i
            i += 1
            var flags = Flags()
            while i < u.count, flags.insert(u[i]) { i += 1 }
            var width: Int?
            while i < u.count && isDigit(u[i]) {
                width = (width ?? 0) * 10 + Int(u[i] - 48)
                i += 1
            }
            var colons = 0
            while i < u.count && u[i] == UInt8(ascii: ":") {
                colons += 1
                i += 1
            }
            guard i < u.count else {
                out += String(decoding: u[start...], as: UTF8.self)
                break
            }
            let d = u[i]
            i += 1
            func num(_ v: Int, _ w: Int, _ pad: Character = "0") -> String {
                var p: Character? = pad
                if flags.noPadding { p = nil }
                if flags.spaces { p = " " }
                if flags.zeros { p = "0" }
                let digits = String(abs(v))
                let target = width ?? w
                var s = digits
                if let p, s.count + (v < 0 ? 1 : 0) < target {
                    let fill = String(repeating: String(p), count: target - s.count - (v < 0 ? 1 : 0))
                    s = p == "0" ? fill + s : s
                    if v < 0 { s = "-" + s }
                    if p != "0" { s = fill + (v < 0 ? "-" : "") + digits }
                    return s
                }
                return (v < 0 ? "-" : "") + s
            }
            func text(_ s: String) -> String {
                var r = s
                if flags.upper { r = r.uppercased() }
                if flags.swapCase {
                    r = r == r.uppercased() ? r.lowercased() : r.uppercased()
                }
                if let width, r.count < width {
                    let pad = flags.zeros ? "0" : " "
                    r = String(repeating: pad, count: width - r.count) + r
                }
                return r
            }
            let hour12 = f.hour % 12 == 0 ? 12 : f.hour % 12
            switch d {
            case UInt8(ascii: "Y"): out += num(f.year, f.year < 0 ? 5 : 4)
            case UInt8(ascii: "C"): out += num(Int((Double(f.year) / 100).rounded(.down)), 2)
            case UInt8(ascii: "y"): out += num(((f.year % 100) + 100) % 100, 2)
            case UInt8(ascii: "m"): out += num(f.month, 2)
            case UInt8(ascii: "B"): out += text(monthNames[f.month - 1])
            case UInt8(ascii: "b"), UInt8(ascii: "h"): out += text(String(monthNames[f.month - 1].prefix(3)))
            case UInt8(ascii: "d"): out += num(f.day, 2)
            case UInt8(ascii: "e"): out += num(f.day, 2, " ")
            case UInt8(ascii: "j"): out += num(f.dayOfYear, 3)
            case UInt8(ascii: "H"): out += num(f.hour, 2)
            case UInt8(ascii: "k"): out += num(f.hour, 2, " ")
            case UInt8(ascii: "I"): out += num(hour12, 2)
            case UInt8(ascii: "l"): out += num(hour12, 2, " ")
            case UInt8(ascii: "P"): out += text(f.hour < 12 ? "am" : "pm")
            case UInt8(ascii: "p"):
                let s = f.hour < 12 ? "AM" : "PM"
                out += flags.swapCase ? s.lowercased() : text(s)
            case UInt8(ascii: "M"): out += num(f.minute, 2)
            case UInt8(ascii: "S"): out += num(f.second, 2)
            case UInt8(ascii: "L"):
                let w = width ?? 3
                out += String(String(format: "%09d", time.nanoseconds).prefix(w)).padding(toLength: w, withPad: "0", startingAt: 0)
            case UInt8(ascii: "N"):
                let w = width ?? 9
                out += String(String(format: "%09d", time.nanoseconds).prefix(w)).padding(toLength: w, withPad: "0", startingAt: 0)
            case UInt8(ascii: "z"):
                let sign = time.offset < 0 ? "-" : "+"
                let a = abs(time.offset)
                let hh = String(format: "%02d", a / 3600), mm = String(format: "%02d", a % 3600 / 60)
                switch colons {
                case 1: out += sign + hh + ":" + mm
                case 2: out += sign + hh + ":" + mm + ":" + String(format: "%02d", a % 60)
                default: out += sign + hh + mm
                }
            case UInt8(ascii: "Z"): out += text(time.zoneName)
            case UInt8(ascii: "A"): out += text(dayNames[f.weekday])
            case UInt8(ascii: "a"): out += text(String(dayNames[f.weekday].prefix(3)))
            case UInt8(ascii: "u"): out += num(f.weekday == 0 ? 7 : f.weekday, 1)
            case UInt8(ascii: "w"): out += num(f.weekday, 1)
            case UInt8(ascii: "U"): out += num((f.dayOfYear - 1 + 7 - f.weekday) / 7, 2)
            case UInt8(ascii: "W"): out += num((f.dayOfYear - 1 + 7 - ((f.weekday + 6) % 7)) / 7, 2)
            case UInt8(ascii: "G"), UInt8(ascii: "g"), UInt8(ascii: "V"):
                let (isoYear, week) = isoWeek(f)
                if d == UInt8(ascii: "G") { out += num(isoYear, 4) }
                else if d == UInt8(ascii: "g") { out += num(((isoYear % 100) + 100) % 100, 2) }
                else { out += num(week, 2) }
            case UInt8(ascii: "s"): out += String(time.seconds)
            case UInt8(ascii: "n"): out += "\n"
            case UInt8(ascii: "t"): out += "\t"
            case UInt8(ascii: "%"): out += "%"
            case UInt8(ascii: "c"): out += text(Self.format(time, "%a %b %e %H:%M:%S %Y"))
            case UInt8(ascii: "D"), UInt8(ascii: "x"): out += text(Self.format(time, "%m/%d/%y"))
            case UInt8(ascii: "F"): out += text(Self.format(time, "%Y-%m-%d"))
            case UInt8(ascii: "T"), UInt8(ascii: "X"): out += text(Self.format(time, "%H:%M:%S"))
            case UInt8(ascii: "R"): out += text(Self.format(time, "%H:%M"))
            case UInt8(ascii: "r"): out += text(Self.format(time, "%I:%M:%S %p"))
            case UInt8(ascii: "+"): out += text(Self.format(time, "%a %b %e %H:%M:%S %Z %Y"))
            default: out += String(decoding: u[start..<i], as: UTF8.self)
            }
        }
        return out
    }

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

    static func isoWeek(_ f: LiquidTime.Fields) -> (Int, Int) {
        let isoWeekday = f.weekday == 0 ? 7 : f.weekday
        let week = (f.dayOfYear - isoWeekday + 10) / 7
        if week < 1 {
            let prevYear = f.year - 1
            let prevDays = isLeap(prevYear) ? 366 : 365
            let dec31Weekday = (isoWeekday - f.dayOfYear % 7 + 7) % 7
            let p = (prevDays - (dec31Weekday == 0 ? 7 : dec31Weekday) + 10) / 7
            return (prevYear, p)
        }
        let daysInYear = isLeap(f.year) ? 366 : 365
        if week == 53 && (daysInYear - f.dayOfYear) < (4 - isoWeekday) {
            return (f.year + 1, 1)
        }
        return (f.year, week)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
}
