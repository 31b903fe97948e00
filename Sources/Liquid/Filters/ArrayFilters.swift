/// Filters over arrays (and, as Shopify allows, over hashes and single values treated as one-item arrays).
enum ArrayFilters {
    static func register(_ f: inout FilterTable) {
        f["join"] = { input, args, _ in
            try args.expect("join", min: 0, max: 1)
            let glue = args[0].map(rubyString) ?? " "
            let pieces = try inputArray(input).map(\.joinDescription)
            return .string(joined(pieces, glue))
        }
        f["first"] = { input, args, _ in
            try args.expect("first", min: 0, max: 0)
            switch input {
            case .array(let a): return a.first ?? .null
            case .object(let o): return o.keys.first.map { .array([.string($0), o.values[0]]) } ?? .null
            case .range(let lo, let hi): return hi >= lo ? .int(lo) : .null
            default: return .null
            }
        }
        f["last"] = { input, args, _ in
            try args.expect("last", min: 0, max: 0)
            switch input {
            case .array(let a): return a.last ?? .null
            case .range(let lo, let hi): return hi >= lo ? .int(hi) : .null
            default: return .null
            }
        }
        f["concat"] = { input, args, _ in
            try args.expect("concat", min: 1, max: 1)
            guard case .array(let other) = args[0]! else {
                throw LiquidError.argument("concat filter requires an array argument")
            }
            return .array(try inputArray(input) + other)
        }
        f["reverse"] = { input, args, _ in
            try args.expect("reverse", min: 0, max: 0)
            return .array(try inputArray(input).reversed())
        }
        f["map"] = { input, args, _ in
            try args.expect("map", min: 1, max: 1)
            let property = args[0]!
            var out: [Value] = []
            for item in try inputArray(input) { out.append(try rubyProperty(item, property)) }
            return .array(out)
        }
        f["compact"] = { input, args, _ in
            try args.expect("compact", min: 0, max: 1)
            var out: [Value] = []
            for item in try inputArray(input) {
                let v = try args.optional(0).map { p throws(LiquidError) in try rubyProperty(item, p) } ?? item
                if !v.isNil { out.append(item) }
            }
            return .array(out)
        }
        f["uniq"] = { input, args, _ in
            try args.expect("uniq", min: 0, max: 1)
            var seen = Set<EqlKey>()
            var out: [Value] = []
            for item in try inputArray(input) {
                let key = try args.optional(0).map { p throws(LiquidError) in try rubyProperty(item, p) } ?? item
                if seen.insert(EqlKey(key)).inserted { out.append(item) }
            }
            return .array(out)
        }
        f["sort"] = { input, args, _ in
            try args.expect("sort", min: 0, max: 1)
            return try sorted(input, args.optional(0)) { a, b throws(LiquidError) in
                if let c = a.rubyCompare(b) { return c }
                if a.isNil { return 1 }
                if b.isNil { return -1 }
                throw LiquidError.argument("cannot sort values of incompatible types")
            }
        }
        f["sort_natural"] = { input, args, _ in
            try args.expect("sort_natural", min: 0, max: 1)
            return try sorted(input, args.optional(0), key: { $0.isNil ? $0 : .string(caseFold($0.joinDescription)) }) {
                a, b throws(LiquidError) in
                guard case .string(let x) = a, case .string(let y) = b else {
                    return a.isNil && b.isNil ? 0 : (a.isNil ? 1 : -1)
                }
                return compareBytes(x, y)
            }
        }
        f["where"] = { input, args, _ in
            try selection("where", input, args, empty: .array([])) { items, test throws(LiquidError) in
                var out: [Value] = []
                for item in items where try test(item) { out.append(item) }
                return .array(out)
            }
        }
        f["reject"] = { input, args, _ in
            try selection("reject", input, args, empty: .array([])) { items, test throws(LiquidError) in
                var out: [Value] = []
                for item in items where !(try test(item)) { out.append(item) }
                return .array(out)
            }
        }
        f["find"] = { input, args, _ in
            try selection("find", input, args, empty: .null) { items, test throws(LiquidError) in
                for item in items where try test(item) { return item }
                return .null
            }
        }
        f["find_index"] = { input, args, _ in
            try selection("find_index", input, args, empty: .null) { items, test throws(LiquidError) in
                for (i, item) in items.enumerated() where try test(item) { return .int(i) }
                return .null
            }
        }
        f["has"] = { input, args, _ in
            try selection("has", input, args, empty: .bool(false)) { items, test throws(LiquidError) in
                for item in items where try test(item) { return .bool(true) }
                return .bool(false)
            }
        }
        f["sum"] = { input, args, _ in
            try args.expect("sum", min: 0, max: 1)
            var total = Number.int(0)
            for item in try inputArray(input) {
                var v = item
                if let p = args[0] {
                    switch item {
                    case .object, .drop, .array, .string, .int: v = try rubyProperty(item, p)
                    default: v = .int(0)
                    }
                }
                total = MathFilters.add(total, Number(v))
            }
            return total.value
        }
    }

    /// Shared by where/reject/find/find_index/has: `empty` for no items or a nil property; an item without
    /// properties (nil, a boolean, a float) ends the search with nil, as Ruby's NoMethodError does there;
    /// otherwise `run` gets the items and the test, which holds when the property is truthy or, given a
    /// target, equals it.
    static func selection(_ name: String, _ input: Value, _ args: FilterArguments, empty: Value,
                          _ run: ([Value], (Value) throws(LiquidError) -> Bool) throws(LiquidError) -> Value) throws(LiquidError) -> Value
    {
        try args.expect(name, min: 1, max: 2)
        let items = try inputArray(input)
        let property = args[0]!
        if items.isEmpty || property.isNil { return empty }
        var sawPropertyless = false
        let target = args.optional(1)
        let result = try run(items) { item throws(LiquidError) in
            if sawPropertyless { return false }
            switch item {
            case .null, .bool, .double:
                sawPropertyless = true
                return false
            default: break
            }
            let value = try rubyProperty(item, property)
            if let target { return Condition.equals(value, target) }
            return value.isTruthy
        }
        return sawPropertyless ? .null : result
    }

    /// Sorts by `compare` on each item's key (the item, or its `property`); equal keys keep their input order.
    static func sorted(_ input: Value, _ property: Value?, key transform: (Value) -> Value = { $0 },
                       _ compare: (Value, Value) throws(LiquidError) -> Int) throws(LiquidError) -> Value
    {
        let items = try inputArray(input)
        var keys: [Value] = []
        keys.reserveCapacity(items.count)
        for item in items {
            keys.append(transform(try property.map { p throws(LiquidError) in try rubyProperty(item, p) } ?? item))
        }
        var order = Array(items.indices)
        var failure: LiquidError?
        order.sort { i, j in
            guard failure == nil else { return i < j }
            do throws(LiquidError) {
                let c = try compare(keys[i], keys[j])
                return c != 0 ? c < 0 : i < j
            } catch {
                failure = error
                return i < j
            }
        }
        if let failure { throw failure }
        return .array(order.map { items[$0] })
    }

    /// `pieces` joined by `glue`, copied once into a string of the right size.
    static func joined(_ pieces: [String], _ glue: String) -> String {
        guard pieces.count > 1 else { return pieces.first ?? "" }
        var total = glue.utf8.count * (pieces.count - 1)
        for p in pieces { total += p.utf8.count }
        var glue = glue
        return glue.withUTF8 { g in
            String(unsafeUninitializedCapacity: total) { out in
                var offset = 0
                for (i, piece) in pieces.enumerated() {
                    if i > 0, let base = g.baseAddress {
                        (out.baseAddress! + offset).update(from: base, count: g.count)
                        offset += g.count
                    }
                    var piece = piece
                    piece.withUTF8 { p in
                        if let base = p.baseAddress { (out.baseAddress! + offset).update(from: base, count: p.count) }
                        offset += p.count
                    }
                }
                return offset
            }
        }
    }

    /// ASCII-only case folding, as Ruby's `casecmp`.
    static func caseFold(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return s }
        return String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

extension Value {
    /// How `join` prints an element: hashes as Ruby inspects them, everything else as output.
    var joinDescription: String {
        if case .object(let o) = self { return o.rubyInspect }
        return description
    }
}

/// Ruby's `eql?` equality, for `uniq`: `1` and `1.0` are different.
struct EqlKey: Hashable {
    let value: Value

    init(_ value: Value) { self.value = value }

    static func == (a: EqlKey, b: EqlKey) -> Bool {
        switch (a.value, b.value) {
        case (.int, .double), (.double, .int): return false
        default: return a.value.rubyEquals(b.value)
        }
    }

    func hash(into hasher: inout Hasher) {
        switch value {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(i)
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a.count)
        case .object(let o): hasher.combine(o.count)
        case .range(let lo, let hi): hasher.combine(lo); hasher.combine(hi)
        case .drop(let d): hasher.combine(ObjectIdentifier(d))
        case .empty, .blank: hasher.combine(1)
        }
    }
}
