/// Finds one byte string in another in time linear in both, however repetitive they are: filters and `contains`
/// search user data, and a search that costs the product of the two lengths (or allocates it, as the standard
/// library's generic `firstRange(of:)` does on a megabyte) would let one template stall or crash a server.
///
/// Short needles are compared directly (at most `directLimit` comparisons per byte); longer ones use
/// Knuth-Morris-Pratt's table, made once per searcher.
struct ByteSearch {
    static let directLimit = 16

    let needle: [UInt8]
    /// For each prefix of the needle, the length of its longest proper prefix that is also its suffix.
    private let fallback: [Int]

    init(_ needle: some Sequence<UInt8>) {
        let needle = Array(needle)
        self.needle = needle
        guard needle.count > Self.directLimit else {
            fallback = []
            return
        }
        var table = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in 1..<needle.count {
            while k > 0 && needle[i] != needle[k] { k = table[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            table[i] = k
        }
        fallback = table
    }

    /// The index of the first occurrence at or after `start`; an empty needle is found at `start`.
    func firstIndex(in haystack: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int? {
        let m = needle.count, n = haystack.count
        guard m > 0 else { return start <= n ? start : nil }
        guard start >= 0, n - start >= m else { return nil }
        if m <= Self.directLimit {
            let first = needle[0]
            var i = start
            while i + m <= n {
                if haystack[i] == first {
                    var k = 1
                    while k < m && haystack[i + k] == needle[k] { k += 1 }
                    if k == m { return i }
                }
                i += 1
            }
            return nil
        }
        var k = 0
        for i in start..<n {
            while k > 0 && haystack[i] != needle[k] { k = fallback[k - 1] }
            if haystack[i] == needle[k] { k += 1 }
            if k == m { return i - m + 1 }
        }
        return nil
    }

    /// The index of the first occurrence in `haystack`'s UTF-8.
    func firstIndex(in haystack: String) -> Int? {
        var haystack = haystack
        return haystack.withUTF8 { firstIndex(in: $0) }
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        ByteSearch(needle.utf8).firstIndex(in: haystack) != nil
    }
}
