/// A Liquid value: what variables hold, what expressions evaluate to and what filters take and return.
///
/// The cases mirror the JSON data model plus the few things Liquid adds: integer ranges,
/// host objects (``Drop``) and the `empty` and `blank` literals.
///
/// ```swift
/// let data: Value = ["user": ["name": "Ada"], "orders": [1, 2, 3]]
/// ```
public enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object(LiquidObject)
    /// An inclusive integer range such as `(1..5)`; empty when `upper < lower`.
    case range(Int, Int)
    case drop(any Drop)
    /// The `empty` literal, only meaningful in comparisons.
    case empty
    /// The `blank` literal, only meaningful in comparisons.
    case blank
}

/// A host object exposed to templates, such as `forloop`; keys are resolved on demand.
public protocol Drop: AnyObject, Sendable {
    /// The value for `key`, or `nil` when the drop has no such key.
    func value(forKey key: String) -> Value?
    /// What `{{ drop }}` prints.
    var liquidDescription: String { get }
}

extension Drop {
    public var liquidDescription: String { "" }
}

extension Value {
    /// The largest magnitude a range bound may have, so a range's length always fits in an `Int`.
    static let rangeBoundLimit = 1 << 61

    /// A range with both bounds clamped to ``rangeBoundLimit``.
    static func clampedRange(_ lower: Int, _ upper: Int) -> Value {
        let limit = rangeBoundLimit
        return .range(Swift.min(Swift.max(lower, -limit), limit), Swift.min(Swift.max(upper, -limit), limit))
    }

    /// Most elements a range may be turned into an array of (by `join`, `map`, `render ... for`...).
    static let rangeMaterializationLimit = 1_000_000

    /// The numbers of a range, refusing ranges too large to hold in memory.
    static func rangeElements(_ lower: Int, _ upper: Int) throws(LiquidError) -> [Value] {
        guard upper >= lower else { return [] }
        let count = upper - lower + 1
        guard count <= rangeMaterializationLimit else {
            throw LiquidError(.resourceLimit, "range of \(count) numbers is too large to use as an array")
        }
        return (lower...upper).map { .int($0) }
    }

    /// What reading the value whole costs, for ``ResourceLimits/maxWork``: a string's bytes, a collection's items.
    var workSize: Int {
        switch self {
        case .string(let s): return s.utf8.count
        case .array(let a): return a.count
        case .object(let o): return o.count
        default: return 1
        }
    }

    /// Liquid truthiness: only `nil` and `false` are false.
    @inlinable
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        default: return true
        }
    }

    @inlinable
    public var isNil: Bool {
        if case .null = self { return true }
        return false
    }

    /// The string for a string value, without conversion.
    @inlinable
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements of an array value, without conversion.
    public var arrayValue: [Value]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: LiquidObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The value as Ruby's `to_s` would print it in an output tag.
    public var description: String {
        switch self {
        case .null, .empty, .blank: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return formatRubyFloat(d)
        case .string(let s): return s
        case .array(let a):
            var out = ""
            for element in a { out += element.description }
            return out
        case .object(let o): return o.rubyInspect
        case .range(let a, let b): return "\(a)..\(b)"
        case .drop(let d): return d.liquidDescription
        }
    }

    /// Ruby's `inspect`, used when an object is printed inside an array or hash.
    var rubyInspect: String {
        switch self {
        case .null: return "nil"
        case .string(let s): return rubyInspectString(s)
        case .array(let a): return "[" + a.map(\.rubyInspect).joined(separator: ", ") + "]"
        case .object(let o): return o.rubyInspect
        default: return description
        }
    }

    /// Ruby's `blank?` as Liquid defines it: nil, false, whitespace-only strings, empty arrays and hashes.
    var isBlank: Bool {
        switch self {
        case .null: return true
        case .bool(let b): return !b
        case .string(let s): return s.utf8.allSatisfy { isRubyWhitespace($0) }
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        case .range(let a, let b): return b < a
        case .empty, .blank: return true
        default: return false
        }
    }

    /// Ruby's `empty?`, or `nil` when the value has no such method.
    var isEmptyCollection: Bool? {
        switch self {
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        case .range(let a, let b): return b < a
        case .empty, .blank: return true
        default: return nil
        }
    }
}

func rubyInspectString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

@inlinable
func isRubyWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) || byte == 0
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(LiquidObject(elements))
    }
}
