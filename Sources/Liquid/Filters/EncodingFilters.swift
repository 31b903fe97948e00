/// Escaping and encoding filters: HTML, URL and Base64.
enum EncodingFilters {
    static func register(_ f: inout FilterTable) {
        let escape: Filter = { input, args, _ in
            try args.expect("escape", min: 0, max: 0)
            if input.isNil { return .null }
            return .string(escapeHTML(rubyString(input)))
        }
        f["escape"] = escape
        f["h"] = escape
        f["escape_once"] = { input, args, _ in
            try args.expect("escape_once", min: 0, max: 0)
            if input.isNil { return .null }
            return .string(escapeOnce(rubyString(input)))
        }
        f["raw"] = { input, args, _ in
            try args.expect("raw", min: 0, max: 0)
            return input
        }
        f["url_encode"] = { input, args, _ in
            try args.expect("url_encode", min: 0, max: 0)
            if input.isNil { return .null }
            return .string(urlEncode(rubyString(input)))
        }
        f["url_decode"] = { input, args, _ in
            try args.expect("url_decode", min: 0, max: 0)
            if input.isNil { return .null }
            guard let s = urlDecode(rubyString(input)) else {
                throw LiquidError.argument("invalid byte sequence in UTF-8")
            }
            return .string(s)
        }
        f["base64_encode"] = { input, args, _ in
            try args.expect("base64_encode", min: 0, max: 0)
            return .string(Base64.encode(Array(rubyString(input).utf8), urlSafe: false))
        }
        f["base64_url_safe_encode"] = { input, args, _ in
            try args.expect("base64_url_safe_encode", min: 0, max: 0)
            return .string(Base64.encode(Array(rubyString(input).utf8), urlSafe: true))
        }
        f["base64_decode"] = { input, args, _ in
            try args.expect("base64_decode", min: 0, max: 0)
            guard let bytes = Base64.decode(rubyString(input), urlSafe: false) else {
                throw LiquidError.argument("invalid base64 provided to base64_decode")
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
        f["base64_url_safe_decode"] = { input, args, _ in
            try args.expect("base64_url_safe_decode", min: 0, max: 0)
            guard let bytes = Base64.decode(rubyString(input), urlSafe: true) else {
                throw LiquidError.argument("invalid base64 provided to base64_url_safe_decode")
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// `CGI.escapeHTML`: `& < > " '` as entities, in one allocation (none when nothing needs escaping).
    static func escapeHTML(_ s: String) -> String {
        var copy = s
        return copy.withUTF8 { bytes -> String in
            var extra = 0
            for b in bytes {
                switch b {
                case UInt8(ascii: "&"): extra += 4
                case UInt8(ascii: "<"), UInt8(ascii: ">"): extra += 3
                case UInt8(ascii: "\""), UInt8(ascii: "'"): extra += 5
                default: break
                }
            }
            if extra == 0 { return s }
            return String(unsafeUninitializedCapacity: bytes.count + extra) { out in
                var j = 0
                func put(_ entity: StaticString) {
                    for k in 0..<entity.utf8CodeUnitCount { out[j + k] = entity.utf8Start[k] }
                    j += entity.utf8CodeUnitCount
                }
                for b in bytes {
                    switch b {
                    case UInt8(ascii: "&"): put("&amp;")
                    case UInt8(ascii: "<"): put("&lt;")
                    case UInt8(ascii: ">"): put("&gt;")
                    case UInt8(ascii: "\""): put("&quot;")
                    case UInt8(ascii: "'"): put("&#39;")
                    default:
                        out[j] = b
                        j += 1
                    }
                }
                return j
            }
        }
    }

    /// Escapes like `escape`, but leaves existing entities (`&amp;`, `&#39;`) alone.
    static func escapeOnce(_ s: String) -> String {
        let u = Array(s.utf8)
        var out = [UInt8]()
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            let c = u[i]
            switch c {
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            case UInt8(ascii: "&"):
                var j = i + 1
                if j < u.count && u[j] == UInt8(ascii: "#") {
                    j += 1
                    let start = j
                    while j < u.count && isDigit(u[j]) { j += 1 }
                    if j == start { j = -1 }
                } else {
                    let start = j
                    while j < u.count && ((u[j] | 0x20) >= 97 && (u[j] | 0x20) <= 122) { j += 1 }
                    if j == start { j = -1 }
                }
                if j > 0 && j < u.count && u[j] == UInt8(ascii: ";") {
                    out.append(UInt8(ascii: "&"))
                } else {
                    out.append(contentsOf: "&amp;".utf8)
                }
            default: out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Ruby's `CGI.escape`: unreserved characters kept, space as `+`, everything else `%XX`.
    static func urlEncode(_ s: String) -> String {
        if s.utf8.allSatisfy({ isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "~") }) {
            return s
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in s.utf8 {
            if isWordByte(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "~") {
                out.append(b)
            } else if b == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "+"))
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Ruby's `CGI.unescape`; `nil` when the result is not valid UTF-8.
    static func urlDecode(_ s: String) -> String? {
        let u = Array(s.utf8)
        var out = [UInt8]()
        var i = 0
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: return b - 48
            case 65...70: return b - 55
            case 97...102: return b - 87
            default: return nil
            }
        }
        while i < u.count {
            if u[i] == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if u[i] == UInt8(ascii: "%"), i + 2 < u.count, let h = hexValue(u[i + 1]), let l = hexValue(u[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(u[i])
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }
}

/// RFC 4648 Base64, strict on decoding as Ruby's `strict_decode64` (the URL-safe form accepts missing padding).
enum Base64 {
    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8], urlSafe: Bool) -> String {
        let table = urlSafe ? Self.urlSafe : standard
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(table[Int((n >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(table[Int((n >> 18) & 63)])
            out.append(table[Int((n >> 12) & 63)])
            out.append(rest == 2 ? table[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ s: String, urlSafe: Bool) -> [UInt8]? {
        var chars = Array(s.utf8)
        if urlSafe {
            if chars.count % 4 != 0 {
                guard !chars.contains(UInt8(ascii: "=")) else { return nil }
                chars += Array(repeating: UInt8(ascii: "="), count: 4 - chars.count % 4)
            }
        }
        guard chars.count % 4 == 0 else { return nil }
        let table = urlSafe ? Self.urlSafe : standard
        var lookup = [Int8](repeating: -1, count: 256)
        for (i, c) in table.enumerated() { lookup[Int(c)] = Int8(i) }
        var out = [UInt8]()
        var i = 0
        while i < chars.count {
            var n: UInt32 = 0
            var pad = 0
            for k in 0..<4 {
                let c = chars[i + k]
                if c == UInt8(ascii: "=") {
                    guard i + 4 == chars.count, k >= 2 else { return nil }
                    pad += 1
                    n <<= 6
                } else {
                    guard pad == 0, lookup[Int(c)] >= 0 else { return nil }
                    n = n << 6 | UInt32(lookup[Int(c)])
                }
            }
            out.append(UInt8((n >> 16) & 255))
            if pad < 2 { out.append(UInt8((n >> 8) & 255)) }
            if pad < 1 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}

extension String {
    /// The text with `& < > " '` as entities, as the `escape` filter writes it: for filters that build markup around
    /// text they were given.
    public var htmlEscaped: String { EncodingFilters.escapeHTML(self) }
}
