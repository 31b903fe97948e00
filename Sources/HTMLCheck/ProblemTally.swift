/// Admits the first few problems of each kind and counts the rest, so that HTML repeating one mistake a
/// million times costs no more to report, in time or memory, than HTML making it ten times.
struct ProblemTally {
    /// Problems reported in full per code; the rest are counted into one closing diagnostic.
    static let shownPerCode = 10

    private(set) var counts: [String: Int] = [:]

    /// Counts one problem of `code`; whether it is among those reported in full.
    mutating func admit(_ code: String) -> Bool {
        let count = counts[code, default: 0] + 1
        counts[code] = count
        return count <= Self.shownPerCode
    }

    /// How many problems of `code` were counted but not admitted.
    func omitted(_ code: String) -> Int { max(0, (counts[code] ?? 0) - Self.shownPerCode) }
}
