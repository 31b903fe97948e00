/// A string-keyed map that keeps its keys in insertion order, as Ruby hashes and JSON objects do.
///
/// Small objects (the common case for profiles) are searched linearly, which beats hashing;
/// larger ones build a hash index once.
public struct LiquidObject: Sendable {
    public private(set) var keys: [String]
    public private(set) var values: [Value]
    private var index: [String: Int]?

    private static let indexThreshold = 12

    public init() {
        keys = []
        values = []
    }

    public init(_ pairs: [(String, Value)]) {
        keys = []
        values = []
        keys.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    func position(of key: String) -> Int? {
        if let index { return index[key] }
        return keys.firstIndex(of: key)
    }

    public subscript(key: String) -> Value? {
        get {
            guard let i = position(of: key) else { return nil }
            return values[i]
        }
        set {
            if let i = position(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                if index != nil {
                    index![key] = keys.count - 1
                } else if keys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        guard keys.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built = [String: Int](minimumCapacity: keys.count)
        for (i, k) in keys.enumerated() { built[k] = i }
        index = built
    }

    /// Key-value pairs in insertion order.
    public var pairs: Zip2Sequence<[String], [Value]> { zip(keys, values) }

    var rubyInspect: String {
        var out = "{"
        var first = true
        for (k, v) in pairs {
            if !first { out += ", " }
            first = false
            out += rubyInspectString(k) + "=>" + v.rubyInspect
        }
        return out + "}"
    }
}
