/// Every standard Liquid filter, each a ``Filter`` function as any filter added through ``Environment`` is: the
/// engine boxes the standard ones and the added ones alike.
enum StandardFilters {
    static let all: FilterTable = {
        var filters = FilterTable()
        StringFilters.register(&filters)
        ArrayFilters.register(&filters)
        MathFilters.register(&filters)
        EncodingFilters.register(&filters)
        filters["date"] = DateFilter.date
        filters["default"] = defaultFilter
        filters["size"] = size
        return filters
    }()

    @Sendable static func defaultFilter(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("default", min: 0, max: 1)
        let fallback = args[0] ?? .string("")
        let allowFalse = args.keyword("allow_false")?.isTruthy ?? false
        let missing = allowFalse ? input.isNil : !input.isTruthy
        if missing || input.isEmptyCollection == true { return fallback }
        return input
    }

    @Sendable static func size(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("size", min: 0, max: 0)
        switch input {
        case .string(let s): return .int(s.unicodeScalars.count)
        case .array(let a): return .int(a.count)
        case .object(let o): return .int(o.count)
        case .range(let lo, let hi): return .int(max(0, hi - lo + 1))
        case .int: return .int(8)
        default: return .int(0)
        }
    }
}

// Conversions the filters share, after Shopify's `Liquid::Utils`.

/// Ruby's `to_s` as filters apply it.
@inline(__always)
func rubyString(_ v: Value) -> String {
    if case .string(let s) = v { return s }
    return v.description
}

/// `Utils.to_integer`: integers as they are, anything else through Ruby's strict `Integer()`.
func rubyInteger(_ v: Value) throws(LiquidError) -> Int {
    switch v {
    case .int(let i): return i
    case .string(let s):
        let t = s.trimmingRubyWhitespace()
        if let i = Int(t) { return i }
        if t.hasPrefix("+"), let i = Int(t.dropFirst()) { return i }
    default: break
    }
    throw LiquidError.argument("invalid integer")
}

/// What array filters iterate: arrays flattened, a hash as one item, a range's numbers, nil as nothing.
func inputArray(_ v: Value) throws(LiquidError) -> [Value] {
    switch v {
    case .array(let a):
        return a.contains(where: { $0.arrayValue != nil }) ? flatten(a) : a
    case .null: return []
    case .range(let lo, let hi): return try Value.rangeElements(lo, hi)
    default: return [v]
    }
}

func flatten(_ a: [Value]) -> [Value] {
    var out: [Value] = []
    out.reserveCapacity(a.count)
    func walk(_ items: [Value]) {
        for item in items {
            if case .array(let inner) = item { walk(inner) } else { out.append(item) }
        }
    }
    walk(a)
    return out
}

/// `item[property]` as Ruby evaluates it for map, where, sort and friends.
func rubyProperty(_ item: Value, _ property: Value) throws(LiquidError) -> Value {
    switch item {
    case .object(let o):
        if case .string(let k) = property { return o[k] ?? .null }
        return .null
    case .drop(let d):
        if case .string(let k) = property { return d.value(forKey: k) ?? .null }
        return .null
    case .string(let s):
        switch property {
        case .string(let p): return ByteSearch.contains(s, p) ? .string(p) : .null
        case .int(let i):
            let scalars = Array(s.unicodeScalars)
            let j = i < 0 ? scalars.count + i : i
            return j >= 0 && j < scalars.count ? .string(String(scalars[j])) : .null
        default: throw LiquidError.argument("cannot select the property '\(property.description)'")
        }
    case .array(let a):
        if case .int(let i) = property {
            let j = i < 0 ? a.count + i : i
            return j >= 0 && j < a.count ? a[j] : .null
        }
        throw LiquidError.argument("cannot select the property '\(property.description)'")
    case .int(let i):
        if case .int(let bit) = property { return .int(bit < 0 ? 0 : (bit >= 64 ? (i < 0 ? 1 : 0) : (i >> bit) & 1)) }
        throw LiquidError.argument("cannot select the property '\(property.description)'")
    default:
        return .null
    }
}

/// A number as Liquid's arithmetic sees it.
enum Number {
    case int(Int)
    case double(Double)

    var value: Value {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        }
    }

    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }

    /// `Utils.to_number`: numbers as they are; strings as a decimal when they look like one, else their leading integer.
    init(_ v: Value) {
        switch v {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s):
            let t = s.trimmingRubyWhitespace()
            if Number.isDecimal(t), let d = Double(t) {
                self = .double(d)
            } else {
                self = .int(rubyToInt(t))
            }
        default: self = .int(0)
        }
    }

    static func isDecimal(_ s: String) -> Bool {
        var it = s.utf8.makeIterator()
        var c = it.next()
        if c == UInt8(ascii: "-") { c = it.next() }
        var intDigits = 0
        while let b = c, isDigit(b) { intDigits += 1; c = it.next() }
        guard intDigits > 0, c == UInt8(ascii: ".") else { return false }
        c = it.next()
        var fracDigits = 0
        while let b = c, isDigit(b) { fracDigits += 1; c = it.next() }
        return fracDigits > 0 && c == nil
    }
}

/// `a + b`, copying bytes once into a string of the right size.
func concatenate(_ a: String, _ b: String) -> String {
    let total = a.utf8.count + b.utf8.count
    if total <= 15 || a.isEmpty || b.isEmpty { return a + b }
    var a = a, b = b
    return String(unsafeUninitializedCapacity: total) { buffer in
        let start = buffer.baseAddress!
        let n = a.withUTF8 { bytes in
            if let base = bytes.baseAddress { start.update(from: base, count: bytes.count) }
            return bytes.count
        }
        b.withUTF8 { bytes in
            if let base = bytes.baseAddress { (start + n).update(from: base, count: bytes.count) }
        }
        return total
    }
}
