/// Strings to numbers, for lookups on the hot path (campaign ids when a user's history is summed up, event names
/// when a condition reads a count): an open-addressing table keyed by FNV-1a over the string's UTF-8 bytes. A
/// decision makes dozens of these lookups, and a `Dictionary`'s seeded hash costs more than the rest of each.
/// Keys come from content or from the profile being indexed, not from a request, so probing stays short.
struct StringTable: Sendable {
    private let keys: [String]
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

    /// FNV-1a over the key's UTF-8 bytes, read in place.
    private static func hash(_ s: String) -> Int {
        func fnv(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in bytes {
                h ^= UInt64(byte)
                h = h &* 0x0000_0100_0000_01B3
            }
            return Int(truncatingIfNeeded: h ^ (h >> 29))
        }
        if let h = s.utf8.withContiguousStorageIfAvailable(fnv) { return h }
        var copy = s
        return copy.withUTF8(fnv)
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
