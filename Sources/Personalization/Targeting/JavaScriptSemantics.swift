import Foundation
import Liquid

/// JavaScript's conversions and comparisons on JSON values, which GrowthBook's condition language is
/// defined by (its shared test cases depend on them: a missing attribute compares as 0, "8" > 5, ...).
enum JavaScript {
    /// `ToNumber`.
    static func number(_ v: Value) -> Double {
        switch v {
        case .null, .empty, .blank: return 0
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return number(parsing: s)
        case .array, .range: return number(parsing: string(v))
        case .object, .drop: return .nan
        }
    }

    /// `ToNumber` of a string: white space around a decimal, hex, or Infinity literal; empty is 0.
    static func number(parsing s: String) -> Double {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { return 0 }
        if t == "Infinity" || t == "+Infinity" { return .infinity }
        if t == "-Infinity" { return -.infinity }
        let lower = t.lowercased()
        if lower.hasPrefix("0x"), let v = UInt64(lower.dropFirst(2), radix: 16) { return Double(v) }
        guard t.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }), let d = Double(t) else {
            return .nan
        }
        return d
    }

    /// `ToString` of a number: integral values without a fraction, the shortest digits otherwise.
    static func string(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == d.rounded(.towardZero) && abs(d) < 1e21 {
            // Below 2^53 every digit is needed. Above, JavaScript writes the shortest digits that read back as
            // the number, then zeros (2^60 is "1152921504606847000"); Int64 would trap from 2^63 on.
            if abs(d) < 9_007_199_254_740_992 { return String(Int64(d)) }
            return integralDigits(d)
        }
        var text = d.description
        if let e = text.firstIndex(of: "e") {
            let exponent = text[text.index(after: e)...]
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { text.insert("+", at: text.index(after: e)) }
        }
        return text
    }

    /// An integral double from 2^53 to 1e21 as JavaScript writes it: Swift's shortest digits (`9.223372036854776e+18`)
    /// with the exponent written out as zeros.
    private static func integralDigits(_ d: Double) -> String {
        let text = abs(d).description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1].drop { $0 == "+" }) ?? 0 : 0
        // `9.223372036854776` or `9007199254740992.0`: the whole part, and the fraction without trailing zeros.
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        let whole = mantissa[0]
        var fraction = mantissa.count == 2 ? mantissa[1] : ""
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        let zeros = max(0, exponent - fraction.count)
        return (d < 0 ? "-" : "") + whole + fraction + String(repeating: "0", count: zeros)
    }

    /// `ToString` (`value + ""`).
    static func string(_ v: Value) -> String {
        switch v {
        case .null, .empty, .blank: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return string(d)
        case .string(let s): return s
        case .array(let items): return items.map { $0.isNil ? "" : string($0) }.joined(separator: ",")
        case .range(let lo, let hi): return hi >= lo ? (lo...hi).map(String.init).joined(separator: ",") : ""
        case .object, .drop: return "[object Object]"
        }
    }

    /// Truthiness (`!!value`).
    static func truthy(_ v: Value) -> Bool {
        switch v {
        case .null, .empty, .blank: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0 && !d.isNaN
        case .string(let s): return !s.isEmpty
        default: return true
        }
    }

    /// `===`; arrays and objects (never the same object here) are never strictly equal.
    static func strictEquals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return number(a) == number(b)
        default: return false
        }
    }

    /// `SameValueZero`, as `Array.prototype.includes` compares: `===` but NaN equals NaN.
    static func sameValueZero(_ a: Value, _ b: Value) -> Bool {
        if case .double(let x) = a, case .double(let y) = b, x.isNaN && y.isNaN { return true }
        return strictEquals(a, b)
    }

    /// The abstract relational comparison behind `<`: strings compare by UTF-16 code units, anything else as
    /// numbers; `nil` when a NaN makes every comparison false.
    static func order(_ a: Value, _ b: Value) -> Int? {
        let x = primitive(a), y = primitive(b)
        if case .string(let s) = x, case .string(let t) = y {
            let l = Array(s.utf16), r = Array(t.utf16)
            for (p, q) in zip(l, r) where p != q { return p < q ? -1 : 1 }
            return l.count == r.count ? 0 : (l.count < r.count ? -1 : 1)
        }
        let m = number(x), n = number(y)
        if m.isNaN || n.isNaN { return nil }
        return m < n ? -1 : (m == n ? 0 : 1)
    }

    /// `ToPrimitive`: arrays and objects become their strings.
    static func primitive(_ v: Value) -> Value {
        switch v {
        case .array, .object, .range, .drop: return .string(string(v))
        default: return v
        }
    }

    /// `JSON.stringify`, keeping key order.
    static func stringify(_ v: Value) -> String {
        switch v {
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? string(d) : "null"
        case .array(let items): return "[" + items.map(stringify).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.pairs.map { JSON.serialize(.string($0.0)) + ":" + stringify($0.1) }.joined(separator: ",") + "}"
        default: return JSON.serialize(v)
        }
    }
}
