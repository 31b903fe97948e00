/// A string-keyed map that keeps its keys in insertion order, as Ruby hashes and JSON objects do.
///
/// A value type with one shared, copy-on-write storage reference, so passing an object around costs a
/// single retain. Small objects (the common case for profiles) are searched linearly, which beats hashing;
/// larger ones build a hash index once.
public struct LiquidObject: Sendable {
    /// Shared only while unchanged: every mutation goes through `makeUnique()` first.
    final class Storage: @unchecked Sendable {
        var keys: [String]
        var values: [Value]
        var index: [String: Int]?

        init(keys: [String] = [], values: [Value] = [], index: [String: Int]? = nil) {
            self.keys = keys
            self.values = values
            self.index = index
        }

        func position(of key: String) -> Int? {
            if let index { return index[key] }
            // Most keys differ in length, which is cheaper to compare than their text.
            let length = key.utf8.count
            return keys.withUnsafeBufferPointer { k -> Int? in
                for i in 0..<k.count where k[i].utf8.count == length && k[i] == key { return i }
                return nil
            }
        }

        func value(forKey key: String) -> Value? {
            guard let position = position(of: key) else { return nil }
            return values[position]
        }
    }

    private var storage: Storage
    private static let indexThreshold = 12
    /// Every new empty object shares this until its first write, so an empty scope costs no allocation.
    private static let emptyStorage = Storage()

    public init() { storage = Self.emptyStorage }

    /// The pairs in order; a key given again takes the later value in its first place.
    public init(_ pairs: [(String, Value)]) {
        // Built in local arrays and stored once (a render's data is made this way for every render).
        var keys: [String] = []
        var values: [Value] = []
        keys.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        var index: [String: Int]? = pairs.count > Self.indexThreshold ? [String: Int](minimumCapacity: pairs.count) : nil
        for (key, value) in pairs {
            let existing: Int?
            if index != nil {
                existing = index![key]
            } else {
                let length = key.utf8.count
                existing = keys.firstIndex { $0.utf8.count == length && $0 == key }
            }
            if let existing {
                values[existing] = value
            } else {
                index?[key] = keys.count
                keys.append(key)
                values.append(value)
            }
        }
        storage = Storage(keys: keys, values: values, index: keys.count > Self.indexThreshold ? index : nil)
    }

    public var keys: [String] { storage.keys }
    public var values: [Value] { storage.values }
    public var count: Int { storage.keys.count }
    public var isEmpty: Bool { storage.keys.isEmpty }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            if storage.keys.isEmpty {
                // A first write to a new object: leave room for a few keys so they do not regrow the arrays.
                let fresh = Storage()
                fresh.keys.reserveCapacity(8)
                fresh.values.reserveCapacity(8)
                storage = fresh
            } else {
                storage = Storage(keys: storage.keys, values: storage.values, index: storage.index)
            }
        }
    }

    public subscript(key: String) -> Value? {
        get { storage.value(forKey: key) }
        set {
            makeUnique()
            if let i = storage.position(of: key) {
                if let newValue {
                    storage.values[i] = newValue
                } else {
                    storage.keys.remove(at: i)
                    storage.values.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                storage.keys.append(key)
                storage.values.append(newValue)
                if storage.index != nil {
                    storage.index![key] = storage.keys.count - 1
                } else if storage.keys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        guard storage.keys.count > Self.indexThreshold else {
            storage.index = nil
            return
        }
        var built = [String: Int](minimumCapacity: storage.keys.count)
        for (i, k) in storage.keys.enumerated() { built[k] = i }
        storage.index = built
    }

    /// Key-value pairs in insertion order.
    public var pairs: Zip2Sequence<[String], [Value]> { zip(storage.keys, storage.values) }

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
