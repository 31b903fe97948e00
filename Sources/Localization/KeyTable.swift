/// Translations by key, for the lookup every `t` call makes: open addressing over a power-of-two table at most half
/// full, probed from a multiplicative hash of the key's UTF-8 bytes read eight at a time. For the short dotted keys
/// templates name (`offer.heading`) that is a fraction of a `Dictionary`'s seeded SipHash. Its keys are the content's
/// own, fixed when the content loads; a render's key (possibly user data, `{{ x | t }}`) only probes, so keys made to
/// collide can come only from the content's author.
public struct KeyTable<Element>: @unchecked Sendable {
    private let keys: [String?]
    private let elements: [Element?]
    private let mask: Int
    public let count: Int

    public init(_ entries: some Sequence<(String, Element)>) {
        let entries = Array(entries)
        var size = 8
        while size < entries.count * 2 { size *= 2 }
        var keys = [String?](repeating: nil, count: size)
        var elements = [Element?](repeating: nil, count: size)
        var count = 0
        for (key, element) in entries {
            var i = Int(truncatingIfNeeded: Self.hash(key)) & (size - 1)
            while let present = keys[i], present != key { i = (i + 1) & (size - 1) }
            if keys[i] == nil { count += 1 }
            keys[i] = key
            elements[i] = element
        }
        self.keys = keys
        self.elements = elements
        mask = size - 1
        self.count = count
    }

    /// The element for `key`, if the table has it.
    @inline(__always)
    public subscript(key: String) -> Element? {
        var i = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while let present = keys[i] {
            if present == key { return elements[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The key's bytes in eight-byte words, each mixed in by a multiply and a shift (the length mixed in last, so a
    /// key and the same key followed by NUL bytes differ).
    static func hash(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { bytes -> UInt64 in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15
            var i = 0
            let n = bytes.count
            let raw = UnsafeRawBufferPointer(bytes)
            while i + 8 <= n {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            if i < n {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while i < n {
                    tail |= UInt64(bytes[i]) << shift
                    shift += 8
                    i += 1
                }
                h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
            }
            h = (h ^ UInt64(n)) &* 0xC4CE_B9FE_1A85_EC53
            return h ^ (h >> 29)
        }
    }
}
