/// How a browser reads a URL attribute's value before it looks at the scheme: character references decoded, then
/// leading and trailing spaces and controls trimmed and every tab and line break removed (the URL parser drops
/// them). `href="&#106;ava&#x09;script:..."` is a `javascript:` URL to a browser, so it is one to the checker too.
enum URLAttribute {
    /// The scheme the browser will see (lowercased, without the colon), if the value has one.
    static func scheme(of value: String) -> String? {
        let decoded = decodingReferences(value)
        // A scheme is ASCII (letters, digits, `+-.`) up to a colon; a browser skips leading controls and spaces and
        // drops tabs and newlines anywhere, so the bytes are read as it reads them.
        var scheme: [UInt8] = []
        var leading = true
        for byte in decoded.utf8 {
            if leading, byte <= 0x20 { continue }
            leading = false
            if byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            if byte == UInt8(ascii: ":") { return scheme.isEmpty ? nil : String(decoding: scheme, as: UTF8.self) }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                scheme.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                scheme.append(byte | 0x20)
            default:
                return nil
            }
        }
        return nil
    }

    /// Named references that can spell or hide a scheme (a colon, white space) or are common in attribute values.
    /// Letters have no named references; numeric ones cover them.
    static let named: [String: Unicode.Scalar] = [
        "colon": ":", "Tab": "\t", "NewLine": "\n", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
    ]

    /// `value` with numeric references (`&#106;`, `&#x6A;`, with or without the semicolon) and the named ones above
    /// decoded, as the HTML tokenizer decodes them in an attribute.
    static func decodingReferences(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "&")) else { return value }
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&", i + 1 < scalars.count else {
                out.append(scalars[i])
                i += 1
                continue
            }
            var j = i + 1
            if scalars[j] == "#" {
                j += 1
                let hex = j < scalars.count && (scalars[j] == "x" || scalars[j] == "X")
                if hex { j += 1 }
                // Every digit is read, as browsers read them (leading zeros too); a number past Unicode stays past it.
                var number: UInt32 = 0
                let digitsStart = j
                while j < scalars.count, let digit = Int(String(scalars[j]), radix: hex ? 16 : 10) {
                    number = min(number * (hex ? 16 : 10) + UInt32(digit), 0x110000)
                    j += 1
                }
                if j > digitsStart {
                    out.append(Unicode.Scalar(number) ?? "\u{FFFD}")
                    if j < scalars.count && scalars[j] == ";" { j += 1 }
                    i = j
                    continue
                }
            } else {
                var name = ""
                while j < scalars.count, scalars[j].properties.isAlphabetic, name.count < 10 {
                    name.unicodeScalars.append(scalars[j])
                    j += 1
                }
                if let decoded = named[name], j < scalars.count, scalars[j] == ";" {
                    out.append(decoded)
                    i = j + 1
                    continue
                }
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }
}
