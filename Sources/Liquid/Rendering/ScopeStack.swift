/// The local variables of a render: nested scopes kept in one pair of arrays, innermost last.
///
/// A lookup is one backwards scan, however many loops are open; `marks` records where each scope starts.
struct ScopeStack {
    private var keys: [String] = []
    private var values: [Value] = []
    /// Start index of each open scope but the outermost (which starts at 0 and is where `assign` writes).
    private var marks: [Int] = []

    init() {}

    /// One scope holding these variables; the keys are distinct.
    init(keys: [String], values: [Value]) {
        self.keys = keys
        self.values = values
    }

    /// The innermost variable called `key`.
    func lookup(_ key: String) -> Value? {
        let length = key.utf8.count
        var i = keys.count - 1
        while i >= 0 {
            if keys[i].utf8.count == length && keys[i] == key { return values[i] }
            i -= 1
        }
        return nil
    }

    /// Sets `key` in the outermost scope.
    mutating func setOutermost(_ key: String, _ value: Value) {
        let end = marks.first ?? keys.count
        let length = key.utf8.count
        for i in 0..<end where keys[i].utf8.count == length && keys[i] == key {
            values[i] = value
            return
        }
        reserveOnFirstUse()
        if end == keys.count {
            keys.append(key)
            values.append(value)
        } else {
            keys.insert(key, at: end)
            values.insert(value, at: end)
        }
        for j in marks.indices { marks[j] += 1 }
    }

    /// Sets `key` in the innermost scope.
    mutating func setInnermost(_ key: String, _ value: Value) {
        let length = key.utf8.count
        for i in (marks.last ?? 0)..<keys.count where keys[i].utf8.count == length && keys[i] == key {
            values[i] = value
            return
        }
        reserveOnFirstUse()
        keys.append(key)
        values.append(value)
    }

    /// Room for a few variables at once, rather than growing one by one.
    private mutating func reserveOnFirstUse() {
        if keys.capacity == 0 {
            keys.reserveCapacity(8)
            values.reserveCapacity(8)
        }
    }

    mutating func push() { marks.append(keys.count) }

    mutating func pop() {
        let start = marks.removeLast()
        keys.removeSubrange(start...)
        values.removeSubrange(start...)
    }
}
