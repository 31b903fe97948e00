/// Reading and writing JSON as Liquid values, keeping object key order (templates iterate objects).
public enum JSON {
    /// Parses JSON text into a ``Value``; objects keep their key order.
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public static func parse(_ text: String) throws(JSONError) -> Value {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses JSON bytes into a ``Value``.
    /// - Parameter rejectingDuplicateKeys: make a key given twice in one object an error (input from outside, where
    ///   two readers could otherwise take different values from one document), instead of keeping the last.
    public static func parse(bytes: [UInt8], rejectingDuplicateKeys: Bool = false) throws(JSONError) -> Value {
        let result: Result<Value, JSONError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer)
            reader.rejectsDuplicateKeys = rejectingDuplicateKeys
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
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same, as UTF-8 bytes (what a response body wants).
    public static func serializeBytes(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .null, .empty, .blank, .drop: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .double(let d): out += (d.isFinite ? (d == d.rounded() && abs(d) < 1e16 ? String(Int(d)) + ".0" : "\(d)") : "null").utf8
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .range(let lo, let hi):
            out.append(UInt8(ascii: "["))
            if lo <= hi && hi - lo < 10_000 { out += (lo...hi).map(String.init).joined(separator: ",").utf8 }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.pairs {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A string with JSON's escapes (and U+2028/U+2029 escaped, so the output is also valid JavaScript); runs
    /// needing no escape are copied whole.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            let n = bytes.count
            var start = 0
            var i = 0
            func flush(_ end: Int) {
                if start < end { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end])) }
            }
            while i < n {
                let b = bytes[i]
                if b >= 0x20, b != 0x22, b != 0x5C, b != 0xE2 {
                    i += 1
                    continue
                }
                if b == 0xE2 {
                    guard i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 else {
                        i += 1
                        continue
                    }
                    flush(i)
                    out += (bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8
                    i += 3
                    start = i
                    continue
                }
                flush(i)
                switch b {
                case 0x22: out += "\\\"".utf8
                case 0x5C: out += "\\\\".utf8
                case 0x0A: out += "\\n".utf8
                case 0x0D: out += "\\r".utf8
                case 0x09: out += "\\t".utf8
                case 0x08: out += "\\b".utf8
                case 0x0C: out += "\\f".utf8
                default:
                    out += "\\u00".utf8
                    out.append(hexDigits[Int(b >> 4)])
                    out.append(hexDigits[Int(b & 15)])
                }
                i += 1
                start = i
            }
            flush(n)
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A JSON document that could not be read, with the byte offset where reading stopped.
public struct JSONError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}
