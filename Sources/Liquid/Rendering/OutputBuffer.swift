/// The bytes a render produces, appended in place.
public struct OutputBuffer: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }

    mutating func append(_ string: String) {
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: string.utf8) }
    }

    mutating func append(bytes other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    mutating func append(bytes other: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: other)
    }

    mutating func append(_ other: OutputBuffer) {
        bytes.append(contentsOf: other.bytes)
    }

    mutating func appendInteger(_ value: Int) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(48 + value))
            return
        }
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[23 - count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: raw[(24 - count)...])
        }
    }

    /// Appends a value as Liquid prints it; with `escape`, HTML-special characters are escaped.
    mutating func append(_ value: Value, escape: Bool = false) {
        switch value {
        case .string(let s):
            if escape { appendEscaped(s) } else { append(s) }
        case .int(let i): appendInteger(i)
        case .null, .empty, .blank: return
        case .array(let items):
            for item in items { append(item, escape: escape) }
        default:
            if escape { appendEscaped(value.description) } else { append(value.description) }
        }
    }

    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "&") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
    }

    static func containsEscapable(_ s: String) -> Bool {
        if let found = s.utf8.withContiguousStorageIfAvailable({ $0.contains(where: needsEscape) }) { return found }
        return s.utf8.contains(where: needsEscape)
    }

    /// HTML-escapes `& < > " '` as Ruby's `CGI.escapeHTML` does.
    mutating func appendEscaped(_ s: String) {
        var utf8 = s.utf8
        let handled: Void? = utf8.withContiguousStorageIfAvailable { buffer in
            var runStart = 0
            for i in 0..<buffer.count {
                let replacement: StaticString
                switch buffer[i] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<i])) }
                bytes.append(contentsOf: UnsafeBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
                runStart = i + 1
            }
            if runStart < buffer.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart...])) }
        }
        if handled == nil {
            var copy = s
            copy.makeContiguousUTF8()
            utf8 = copy.utf8
            appendEscaped(copy)
        }
    }

    /// The output as a string.
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
