import Foundation

/// Strings to numbers, for lookups on the hot path (campaign ids when a user's history is summed up, event names
/// when a condition reads a count): an open-addressing table keyed by a cheap hash of the string's UTF-8 bytes. A
/// decision makes dozens of these lookups, and a `Dictionary`'s hash costs more than the rest of each. The hash is
/// seeded per process, since event names come from requests.
struct StringTable: Sendable {
    /// The keys, each once, in the order first given.
    let keys: [String]
    private let values: [Int]
    /// Per bucket, 1 + the place in `keys` of the key there, or 0 when empty.
    private let buckets: [Int32]
    private let mask: Int

    /// The table of `keys[i] -> i`; a repeated key keeps its first place.
    init(_ keys: [String]) {
        var size = 8
        while size < keys.count * 2 { size <<= 1 }
        var buckets = [Int32](repeating: 0, count: size)
        var kept: [String] = []
        var values: [Int] = []
        for (value, key) in keys.enumerated() {
            var b = Self.hash(key) & (size - 1)
            var repeated = false
            while buckets[b] != 0 {
                if kept[Int(buckets[b]) - 1] == key {
                    repeated = true
                    break
                }
                b = (b + 1) & (size - 1)
            }
            if repeated { continue }
            buckets[b] = Int32(kept.count + 1)
            kept.append(key)
            values.append(value)
        }
        self.keys = kept
        self.values = values
        self.buckets = buckets
        mask = size - 1
    }

    /// Mixed into every hash, so that keys chosen to collide (event names come from requests) cannot be chosen
    /// ahead of time.
    private static let seed = UInt64.random(in: .min ... .max)

    /// A hash of the key's UTF-8 bytes, read in place eight at a time and mixed by multiplication (the keys are
    /// short: ids and event names). Swift calls strings equal when they are canonically equivalent, so a key that
    /// is not all ASCII is hashed in its NFC form, which equivalent spellings share.
    private static func hash(_ s: String) -> Int {
        /// The hash, or nil when a byte is not ASCII.
        func mix(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
            let k: UInt64 = 0x9E37_79B9_7F4A_7C15
            var h = (UInt64(bytes.count) ^ seed) &* k
            guard let base = bytes.baseAddress else { return Int(truncatingIfNeeded: h) }
            let raw = UnsafeRawPointer(base)
            var high: UInt64 = 0
            var i = 0
            while i + 8 <= bytes.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                high |= w
                h = (h ^ w) &* k
                h ^= h >> 29
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            high |= tail
            guard high & 0x8080_8080_8080_8080 == 0 else { return nil }
            h = (h ^ tail) &* k
            return Int(truncatingIfNeeded: h ^ (h >> 32))
        }
        if let h = s.utf8.withContiguousStorageIfAvailable(mix), let h { return h }
        var nfc = s.precomposedStringWithCanonicalMapping
        return nfc.withUTF8 { bytes in mix(bytes) ?? Self.mixAny(bytes) }
    }

    /// The same mixing over any bytes (an NFC form that is not ASCII).
    private static func mixAny(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h = (UInt64(bytes.count) ^ seed ^ 0xA5A5) &* 0x9E37_79B9_7F4A_7C15
        for b in bytes { h = (h ^ UInt64(b)) &* 0x9E37_79B9_7F4A_7C15 }
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }

    subscript(key: String) -> Int? {
        var b = Self.hash(key) & mask
        while true {
            let k = Int(buckets[b])
            if k == 0 { return nil }
            if keys[k - 1] == key { return values[k - 1] }
            b = (b + 1) & mask
        }
    }
}
