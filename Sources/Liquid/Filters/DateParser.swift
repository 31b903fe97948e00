import Foundation

/// Reads the date strings templates meet: ISO 8601 and its SQL form, RFC 2822, and English forms such as
/// "March 14, 2016 10:30 pm"; what Ruby's `Time.parse` reads in practice.
enum DateParser {
    /// `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`, the form APIs send, read without allocating.
    static func parseISO8601(_ text: String) -> LiquidTime? {
        var text = text
        return text.withUTF8 { u -> LiquidTime? in
            func digits(_ at: Int, _ n: Int) -> Int? {
                guard at + n <= u.count else { return nil }
                var v = 0
                for k in at..<(at + n) {
                    guard isDigit(u[k]) else { return nil }
                    v = v * 10 + Int(u[k] - 48)
                }
                return v
            }
            guard u.count >= 17, let y = digits(0, 4), u[4] == UInt8(ascii: "-"), let mo = digits(5, 2),
                  u[7] == UInt8(ascii: "-"), let d = digits(8, 2), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "),
                  let h = digits(11, 2), u[13] == UInt8(ascii: ":"), let mi = digits(14, 2),
                  (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60
            else { return nil }
            var i = 16
            var s = 0
            var nanos = 0
            if i < u.count && u[i] == UInt8(ascii: ":") {
                guard let sec = digits(i + 1, 2), sec <= 60 else { return nil }
                s = sec
                i += 3
                if i < u.count && u[i] == UInt8(ascii: ".") {
                    i += 1
                    var scale = 100_000_000
                    let start = i
                    while i < u.count && isDigit(u[i]) {
                        nanos += Int(u[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                    guard i > start else { return nil }
                }
            }
            guard i < u.count else { return nil }
            var offset = 0
            var zoneName = ""
            if u[i] == UInt8(ascii: "Z") && i + 1 == u.count {
                zoneName = "UTC"
            } else if (u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-")) && i + 6 == u.count,
                      let oh = digits(i + 1, 2), u[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2)
            {
                offset = (u[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
            } else {
                return nil
            }
            let local = CivilCalendar.days(fromCivil: y, mo, d) * 86400 + h * 3600 + mi * 60 + s
            return LiquidTime(seconds: local - offset, nanoseconds: nanos, offset: offset, zoneName: zoneName)
        }
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// A time for `text`; times without a zone are read in `zone` (UTC when `nil`).
    static func parse(_ text: String, zone: TimeZone?) -> LiquidTime? {
        if let t = parseISO8601(text) { return t }
        let u = Array(text.lowercased().utf8)
        var i = 0
        var year: Int?, month: Int?, day: Int?
        var hour = 0, minute = 0, second = 0, nanos = 0
        var offset: Int?
        var zoneName = ""
        var pm: Bool?
        var numbers: [Int] = []

        func skipSpace() { while i < u.count && (u[i] == 32 || u[i] == 44 || u[i] == 9) { i += 1 } }
        func number(maxDigits: Int = 10) -> (Int, Int)? {
            let s = i
            var v = 0
            while i < u.count && isDigit(u[i]) && i - s < maxDigits { v = v * 10 + Int(u[i] - 48); i += 1 }
            return i > s ? (v, i - s) : nil
        }

        while i < u.count {
            skipSpace()
            guard i < u.count else { break }
            let c = u[i]
            if isDigit(c) {
                let start = i
                guard let (v, digits) = number() else { return nil }
                if i < u.count && u[i] == UInt8(ascii: "-") && digits == 4 && year == nil {
                    i += 1
                    guard let (m, _) = number(maxDigits: 2) else { return nil }
                    guard i < u.count, u[i] == UInt8(ascii: "-") else { return nil }
                    i += 1
                    guard let (d, _) = number(maxDigits: 2) else { return nil }
                    (year, month, day) = (v, m, d)
                    if i < u.count && u[i] == UInt8(ascii: "t") { i += 1 }
                } else if i < u.count && u[i] == UInt8(ascii: "/") {
                    i += 1
                    guard let (b, _) = number(maxDigits: 4) else { return nil }
                    guard i < u.count, u[i] == UInt8(ascii: "/") else { return nil }
                    i += 1
                    guard let (cc, cdigits) = number(maxDigits: 4) else { return nil }
                    if digits == 4 { (year, month, day) = (v, b, cc) } else { (year, month, day) = (cdigits == 2 ? 2000 + cc : cc, v, b) }
                } else if i < u.count && u[i] == UInt8(ascii: ":") {
                    i += 1
                    guard let (m, _) = number(maxDigits: 2) else { return nil }
                    hour = v
                    minute = m
                    if i < u.count && u[i] == UInt8(ascii: ":") {
                        i += 1
                        guard let (s, _) = number(maxDigits: 2) else { return nil }
                        second = s
                        if i < u.count && (u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: ",")) {
                            i += 1
                            let fs = i
                            guard let (f, fd) = number(maxDigits: 9) else { return nil }
                            while i < u.count && isDigit(u[i]) { i += 1 }
                            var n = f
                            for _ in fd..<9 { n *= 10 }
                            nanos = n
                            _ = fs
                        }
                    }
                } else if digits <= 2 && i < u.count && (u[i] == UInt8(ascii: "a") || u[i] == UInt8(ascii: "p")) {
                    hour = v
                } else {
                    _ = start
                    numbers.append(v)
                }
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                i += 1
                guard let (v, digits) = number(maxDigits: 4) else { return nil }
                var h = v, m = 0
                if digits == 4 { h = v / 100; m = v % 100 }
                if i < u.count && u[i] == UInt8(ascii: ":") {
                    i += 1
                    guard let (mm, _) = number(maxDigits: 2) else { return nil }
                    m = mm
                }
                offset = (c == UInt8(ascii: "-") ? -1 : 1) * (h * 3600 + m * 60)
            } else if isIdentifierStart(c) {
                let s = i
                while i < u.count && isIdentifierStart(u[i]) { i += 1 }
                let word = String(decoding: u[s..<i], as: UTF8.self)
                if word == "z" || word == "utc" || word == "gmt" || word == "ut" {
                    offset = 0
                    zoneName = "UTC"
                } else if word == "am" || word == "a" {
                    pm = false
                } else if word == "pm" || word == "p" {
                    pm = true
                } else if word == "t" {
                    continue
                } else if let m = months.firstIndex(where: { word.hasPrefix($0) }), word.count >= 3 {
                    month = m + 1
                } else if ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(where: { word.hasPrefix($0) }) {
                    continue
                } else if let tz = TimeZone(abbreviation: word.uppercased()) {
                    offset = tz.secondsFromGMT()
                    zoneName = word.uppercased()
                } else if word == "st" || word == "nd" || word == "rd" || word == "th" || word == "of" || word == "at" {
                    continue
                } else {
                    return nil
                }
                if i < u.count && u[i] == UInt8(ascii: ".") { i += 1 }
            } else {
                i += 1
            }
        }
        if year == nil {
            guard month != nil else { return nil }
            for n in numbers {
                if day == nil && n >= 1 && n <= 31 { day = n } else if year == nil { year = n < 100 ? 2000 + n : n }
            }
        }
        guard let y = year, let mo = month, (1...12).contains(mo) else { return nil }
        let d = day ?? 1
        guard (1...31).contains(d), hour <= 24, minute < 60, second <= 60 else { return nil }
        if let pm {
            guard hour <= 12 else { return nil }
            if pm && hour < 12 { hour += 12 }
            if !pm && hour == 12 { hour = 0 }
        }
        let localSeconds = CivilCalendar.days(fromCivil: y, mo, d) * 86400 + hour * 3600 + minute * 60 + second
        if let offset {
            return LiquidTime(seconds: localSeconds - offset, nanoseconds: nanos, offset: offset, zoneName: zoneName)
        }
        let z = zone ?? TimeZone(identifier: "UTC")!
        var guess = localSeconds - z.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds)))
        guess = localSeconds - z.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess)))
        return LiquidTime(seconds: guess, nanoseconds: nanos, offset: 0, zoneName: "UTC").converted(to: z)
    }
}
