#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Ruby's semantics for the operations Liquid borrows from it: `==`, `<=>`, `to_s` on floats.

extension Value {
    /// Ruby `==` between two Liquid values (1 == 1.0; strings compare byte for byte).
    public func rubyEquals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return bytesEqual(a, b)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for i in a.indices where !a[i].rubyEquals(b[i]) { return false }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a.pairs {
                guard let w = b[k], v.rubyEquals(w) else { return false }
            }
            return true
        case (.range(let a1, let a2), .range(let b1, let b2)): return a1 == b1 && a2 == b2
        case (.drop(let a), .drop(let b)): return a === b
        case (.empty, .empty), (.blank, .blank): return true
        default: return false
        }
    }

    /// Ruby `<=>`: `nil` when the two values cannot be ordered.
    func rubyCompare(_ other: Value) -> Int? {
        switch (self, other) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.int, .double), (.double, .int), (.double, .double):
            let a = self.numericDouble!, b = other.numericDouble!
            if a.isNaN || b.isNaN { return nil }
            return a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)): return compareBytes(a, b)
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) {
                guard let c = x.rubyCompare(y) else { return nil }
                if c != 0 { return c }
            }
            return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
        case (.bool(let a), .bool(let b)) where a == b: return 0
        case (.null, .null): return 0
        default: return nil
        }
    }

    var numericDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The class name Ruby would report for this value in an error message.
    var rubyClassName: String {
        switch self {
        case .null: return "NilClass"
        case .bool(let b): return b ? "TrueClass" : "FalseClass"
        case .int: return "Integer"
        case .double: return "Float"
        case .string: return "String"
        case .array: return "Array"
        case .object: return "Hash"
        case .range: return "Range"
        case .drop: return "Drop"
        case .empty, .blank: return "MethodLiteral"
        }
    }

    /// How Ruby names the right-hand operand of a failed comparison (`rb_cmperr`).
    var rubyComparisonOperandName: String {
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return formatRubyFloat(d)
        default: return rubyClassName
        }
    }
}

/// Byte equality, as Ruby compares strings (Swift's `==` also equates canonically equivalent forms).
func bytesEqual(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    if let same = a.utf8.withContiguousStorageIfAvailable({ x in
        b.utf8.withContiguousStorageIfAvailable { y in
            x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
        }
    }), let same {
        return same
    }
    return a.utf8.elementsEqual(b.utf8)
}

func compareBytes(_ a: String, _ b: String) -> Int {
    if let order = a.utf8.withContiguousStorageIfAvailable({ x in
        b.utf8.withContiguousStorageIfAvailable { y -> Int in
            let common = Swift.min(x.count, y.count)
            let c = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
            if c != 0 { return c < 0 ? -1 : 1 }
            return x.count < y.count ? -1 : (x.count == y.count ? 0 : 1)
        }
    }), let order {
        return order
    }
    var ia = a.utf8.makeIterator()
    var ib = b.utf8.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let x?, let y?):
            if x != y { return x < y ? -1 : 1 }
        }
    }
}

/// Ruby's `Float#to_s`: shortest round-trip digits, fixed notation for exponents in [-4, 16), otherwise `1.0e+16`.
public func formatRubyFloat(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    if d.magnitude < 1e15, d == d.rounded(.towardZero) { return String(Int(d)) + ".0" }
    // Swift prints the same shortest digits; in fixed notation its text is already Ruby's.
    if d.magnitude >= 1e-4 && d.magnitude < 1e15 {
        let text = d.description
        if !text.utf8.contains(UInt8(ascii: "e")) { return text }
    }
    let swiftForm = d.magnitude.description
    var mantissa = Substring(swiftForm)
    var exponent = 0
    if let e = swiftForm.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = swiftForm[..<e]
        exponent = Int(swiftForm[swiftForm.index(after: e)...]) ?? 0
    }
    var digits: [UInt8] = []
    var pointPosition = 0
    var seenPoint = false
    for c in mantissa.utf8 {
        if c == UInt8(ascii: ".") {
            seenPoint = true
        } else {
            digits.append(c)
            if !seenPoint { pointPosition += 1 }
        }
    }
    var decpt = pointPosition + exponent
    while digits.count > 1 && digits.first == UInt8(ascii: "0") {
        digits.removeFirst()
        decpt -= 1
    }
    while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
    var out = d < 0 ? "-" : ""
    let digitString = String(decoding: digits, as: UTF8.self)
    if decpt > 0 && decpt <= 16 {
        if digits.count <= decpt {
            out += digitString + String(repeating: "0", count: decpt - digits.count) + ".0"
        } else {
            out += String(decoding: digits[..<decpt], as: UTF8.self) + "." + String(decoding: digits[decpt...], as: UTF8.self)
        }
    } else if decpt <= 0 && decpt > -4 {
        out += "0." + String(repeating: "0", count: -decpt) + digitString
    } else {
        let e = decpt - 1
        let rest = digits.count > 1 ? String(decoding: digits[1...], as: UTF8.self) : "0"
        out += String(UnicodeScalar(digits[0])) + "." + rest + "e" + (e < 0 ? "-" : "+")
        let magnitude = String(abs(e))
        out += magnitude.count < 2 ? "0" + magnitude : magnitude
    }
    return out
}

extension Double {
    /// The integer part, saturated at Int's bounds: what a Liquid integer argument (a loop limit, an index, a range
    /// bound) reads a float as. Ruby's integers have no bound; past Int's, the effect is the same (a loop or range
    /// capped by the render limits, an index out of range), where `Int(_:)` would stop the process. Finite only.
    @inlinable
    var saturatingInt: Int {
        if self >= 9_223_372_036_854_775_807.0 { return .max }
        if self <= -9_223_372_036_854_775_808.0 { return .min }
        return Int(self)
    }
}
