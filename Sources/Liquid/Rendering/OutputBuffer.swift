/// The bytes a render produces, appended in place.
///
/// A value type over one growable allocation (copied on write), so an append is a bounds check and a copy.
public struct OutputBuffer: Sendable {
    /// Shared only while unchanged: every write goes through `makeUnique()` first.
    final class Storage: @unchecked Sendable {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 64)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        func copy() -> Storage {
            let other = Storage(capacity: capacity)
            other.base.update(from: base, count: count)
            other.count = count
            return other
        }

        @inline(__always)
        func append(_ source: UnsafeRawPointer, _ n: Int) {
            if count + n > capacity { grow(to: count + n) }
            (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: n)
            count += n
        }

        @inline(__always)
        func append(_ byte: UInt8) {
            if count == capacity { grow(to: count + 1) }
            base[count] = byte
            count += 1
        }

        private func grow(to minimum: Int) {
            let newCapacity = Swift.max(capacity * 2, minimum)
            let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            fresh.update(from: base, count: count)
            base.deallocate()
            base = fresh
            capacity = newCapacity
        }
    }

    private var storage: Storage

    public init(capacity: Int = 1024) { storage = Storage(capacity: capacity) }

    public var count: Int { storage.count }

    /// The output so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    /// The output as a string.
    public var string: String {
        String(decoding: UnsafeBufferPointer(start: storage.base, count: storage.count), as: UTF8.self)
    }

    /// Drops what was appended after the first `count` bytes.
    mutating func truncate(to count: Int) {
        guard count < storage.count else { return }
        makeUnique()
        storage.count = Swift.max(count, 0)
    }

    @inline(__always)
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Appends the text's UTF-8 bytes as they are.
    public mutating func append(_ string: String) {
        makeUnique()
        let storage = self.storage
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { b in
            if let base = b.baseAddress { storage.append(base, b.count) }
        }
        if copied == nil {
            for byte in string.utf8 { storage.append(byte) }
        }
    }

    mutating func append(bytes other: [UInt8]) {
        makeUnique()
        other.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { storage.append(base, b.count) }
        }
    }

    mutating func append(bytes other: UnsafeBufferPointer<UInt8>) {
        makeUnique()
        if let base = other.baseAddress { storage.append(base, other.count) }
    }

    mutating func append(_ other: OutputBuffer) {
        makeUnique()
        storage.append(other.storage.base, other.storage.count)
    }

    mutating func append(byte: UInt8) {
        makeUnique()
        storage.append(byte)
    }

    /// Appends an integer's decimal digits (Liquid's way of printing one).
    mutating func appendInteger(_ value: Int) {
        makeUnique()
        if value >= 0 && value < 10 {
            storage.append(UInt8(48 + value))
            return
        }
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        let storage = self.storage
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[23 - count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            if value < 0 { storage.append(UInt8(ascii: "-")) }
            storage.append(raw.baseAddress! + (24 - count), count)
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

    /// HTML-escapes `& < > " '` as Ruby's `CGI.escapeHTML` does.
    public mutating func appendEscaped(_ s: String) {
        makeUnique()
        let storage = self.storage
        let handled: Void? = s.utf8.withContiguousStorageIfAvailable { buffer in
            guard let base = buffer.baseAddress else { return }
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
                if runStart < i { storage.append(base + runStart, i - runStart) }
                storage.append(replacement.utf8Start, replacement.utf8CodeUnitCount)
                runStart = i + 1
            }
            if runStart < buffer.count { storage.append(base + runStart, buffer.count - runStart) }
        }
        if handled == nil {
            var copy = s
            copy.makeContiguousUTF8()
            appendEscaped(copy)
        }
    }
}
