/// Reading and writing JSON as Liquid values, keeping object key order (templates iterate objects).
public enum JSON {
    /// Parses JSON text into a ``Value``; objects keep their key order.
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public static func parse(_ text: String) throws(JSONError) -> Value {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses JSON bytes into a ``Value``.
    public static func parse(bytes: [UInt8]) throws(JSONError) -> Value {
        let result: Result<Value, JSONError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer)
            do throws(JSONError) {
                return .success(try reader.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Serializes a value as compact JSON (ranges become arrays, drops become null).
    public static func serialize(_ value: Value) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func write(_ value: Value, into out: inout String) {
        switch value {
        case .null, .empty, .blank, .drop: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? (d == d.rounded() && abs(d) < 1e16 ? String(Int(d)) + ".0" : "\(d)") : "null"
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                write(v, into: &out)
            }
            out += "]"
        case .range(let lo, let hi):
            out += "["
            if lo <= hi && hi - lo < 10_000 { out += (lo...hi).map(String.init).joined(separator: ",") }
            out += "]"
        case .object(let o):
            out += "{"
            var first = true
            for (k, v) in o.pairs {
                if !first { out += "," }
                first = false
                writeString(k, into: &out)
                out += ":"
                write(v, into: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A JSON document that could not be read, with the byte offset where reading stopped.
public struct JSONError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}
