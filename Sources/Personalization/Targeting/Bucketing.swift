/// GrowthBook's hashing and bucketing, so a user lands in the same variant here as in any GrowthBook SDK.
public enum Bucketing {
    /// FNV-1a (32-bit) over UTF-16 code units, as JavaScript strings are hashed.
    static func fnv32a(_ s: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for unit in s.utf16 {
            hash ^= UInt32(unit)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// A number in [0, 1) for `value` under `seed`: version 1 (the original, slightly biased) or version 2;
    /// `nil` for an unknown version.
    public static func hash(seed: String, value: String, version: Int) -> Double? {
        switch version {
        case 2: return Double(fnv32a(String(fnv32a(seed + value))) % 10000) / 10000
        case 1: return Double(fnv32a(value + seed) % 1000) / 1000
        default: return nil
        }
    }

    public static func equalWeights(_ n: Int) -> [Double] {
        n <= 0 ? [] : Array(repeating: 1 / Double(n), count: n)
    }

    /// The [start, end) range of each variation: weights (equal ones when missing, of the wrong length, or not
    /// adding up to 1 within 1%) scaled by the coverage, clamped to [0, 1].
    public static func bucketRanges(variations: Int, coverage: Double = 1, weights: [Double]? = nil) -> [(Double, Double)] {
        let coverage = min(max(coverage, 0), 1)
        let equal = equalWeights(variations)
        var chosen = weights ?? equal
        if chosen.count != variations { chosen = equal }
        let total = chosen.reduce(0, +)
        if total < 0.99 || total > 1.01 { chosen = equal }
        var cumulative = 0.0
        return chosen.map { w in
            let start = cumulative
            cumulative += w
            return (start, start + coverage * w)
        }
    }

    /// The variation whose range holds `n`, or `nil`.
    public static func chooseVariation(_ n: Double, ranges: [(Double, Double)]) -> Int? {
        ranges.firstIndex { n >= $0.0 && n < $0.1 }
    }

    /// Whether `id` falls in the [start, end) slice of the namespace.
    public static func inNamespace(_ id: String, namespace: String, start: Double, end: Double) -> Bool {
        guard let n = hash(seed: "__" + namespace, value: id, version: 1) else { return false }
        return n >= start && n < end
    }
}
