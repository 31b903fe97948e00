/// A CLDR plural category.
public enum PluralCategory: String, Sendable, CaseIterable, Comparable {
    case zero, one, two, few, many, other

    public static func < (a: PluralCategory, b: PluralCategory) -> Bool { a.ordinal < b.ordinal }

    /// Its place in CLDR's order, from 0 (`zero`) to 5 (`other`).
    public var ordinal: Int {
        switch self {
        case .zero: 0
        case .one: 1
        case .two: 2
        case .few: 3
        case .many: 4
        case .other: 5
        }
    }
}

/// The operands CLDR's plural rules read from a number as written (UTS #35, "Plural Operand Meanings"): the
/// absolute value `n`, its integer digits `i`, the count of visible fraction digits `v` (with trailing zeros) and
/// `w` (without), those digits `f` and `t`, and the compact exponent `c` (also `e`). `1` and `1.0` differ: `v`
/// is 0 for one and 1 for the other, and many languages choose differently for them.
public struct PluralOperands: Sendable, Equatable, CustomStringConvertible {
    /// The integer digits; for a number past 18 digits, its last 18 (what `%` needs) with ``isHuge`` set.
    public var i: UInt64
    public var v: Int
    public var w: Int
    /// The visible fraction digits as a number (the first 18).
    public var f: UInt64
    public var t: UInt64
    public var e: Int
    /// The integer part has more than 18 digits: no equality with a rule's value holds for it.
    public var isHuge = false

    /// Reads a decimal number as written: an optional sign, digits with an optional fraction, and an optional
    /// compact exponent (`1.2c3` is 1200 with `c` 3). Nil for anything else.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes.removeFirst() }
        var exponent = 0
        if let mark = bytes.firstIndex(where: { $0 == UInt8(ascii: "c") || $0 == UInt8(ascii: "e") }) {
            let digits = bytes[(mark + 1)...]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            exponent = Int(String(decoding: digits, as: UTF8.self))!
            bytes.removeSubrange(mark...)
        }
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        var integer = Array(bytes[..<(point ?? bytes.count)])
        var fraction = point.map { Array(bytes[($0 + 1)...]) } ?? []
        guard !integer.isEmpty, (integer + fraction).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), point == nil || !fraction.isEmpty else {
            return nil
        }
        // The exponent moves the point right: 1.2c3 is 1200, with no visible fraction digits.
        let moved = min(exponent, fraction.count)
        integer += fraction.prefix(moved)
        fraction.removeFirst(moved)
        integer += Array(repeating: UInt8(ascii: "0"), count: exponent - moved)
        while integer.count > 1 && integer.first == UInt8(ascii: "0") { integer.removeFirst() }
        isHuge = integer.count > 18
        i = UInt64(String(decoding: integer.suffix(18), as: UTF8.self))!
        v = fraction.count
        f = fraction.isEmpty ? 0 : UInt64(String(decoding: fraction.prefix(18), as: UTF8.self))!
        var trimmed = fraction
        while trimmed.last == UInt8(ascii: "0") { trimmed.removeLast() }
        w = trimmed.count
        t = trimmed.isEmpty ? 0 : UInt64(String(decoding: trimmed.prefix(18), as: UTF8.self))!
        e = exponent
    }

    /// An integer's operands.
    public init(_ value: Int) {
        let magnitude = value.magnitude
        // Past 18 digits, read as written (the last 18, with isHuge set).
        guard magnitude < 1_000_000_000_000_000_000 else {
            self = Self(String(value))!
            return
        }
        i = UInt64(magnitude)
        v = 0
        w = 0
        f = 0
        t = 0
        e = 0
    }

    public var description: String { "i=\(i) v=\(v) w=\(w) f=\(f) t=\(t) e=\(e)" }
}

/// One locale's cardinal plural rules, compiled from CLDR's syntax: which category a number takes.
public struct PluralRule: Sendable {
    /// The categories with their conditions, in CLDR's order; `other` (no condition) is last.
    let conditions: [(PluralCategory, Condition)]
    /// The category of each whole number below ``smallCount`` written without a fraction or exponent (the counts
    /// most texts are given), worked out from the conditions when the rule is compiled.
    private let small: [PluralCategory]
    static let smallCount: UInt64 = 256

    /// The categories this locale distinguishes, `other` included.
    public var categories: [PluralCategory] { conditions.map(\.0) + [.other] }

    /// The category of a number (as written: see ``PluralOperands``).
    public func category(_ operands: PluralOperands) -> PluralCategory {
        if operands.v == 0, operands.e == 0, !operands.isHuge, operands.i < Self.smallCount {
            return small[Int(operands.i)]
        }
        return Self.evaluate(conditions, operands)
    }

    private static func evaluate(_ conditions: [(PluralCategory, Condition)], _ operands: PluralOperands) -> PluralCategory {
        for (category, condition) in conditions where condition.holds(operands) { return category }
        return .other
    }

    public func category(of number: Int) -> PluralCategory { category(PluralOperands(number)) }

    /// Compiles a locale's rules: each category's condition text (`i = 1 and v = 0`), samples after `@` left out.
    init(rules: [(PluralCategory, String)]) throws(PluralRuleError) {
        var conditions: [(PluralCategory, Condition)] = []
        for (category, text) in rules where category != .other {
            var parser = ConditionParser(text: String(text.prefix { $0 != "@" }))
            conditions.append((category, try parser.parse()))
        }
        self.init(conditions: conditions)
    }

    /// The rule every language has at least: everything is `other`.
    static let otherOnly = PluralRule(conditions: [])

    private init(conditions: [(PluralCategory, Condition)]) {
        self.conditions = conditions
        small = (0..<Self.smallCount).map { Self.evaluate(conditions, PluralOperands(Int($0))) }
    }
}

/// A rule that is not CLDR's syntax.
public struct PluralRuleError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "plural rule \"\(text)\": \(reason)" }
}

/// `or` of `and`s of relations, as CLDR writes them.
struct Condition: Sendable {
    enum Operand: Character, Sendable {
        case n = "n", i = "i", v = "v", w = "w", f = "f", t = "t", c = "c", e = "e"
    }

    struct Relation: Sendable {
        let operand: Operand
        let modulus: UInt64?
        let negated: Bool
        /// Values and inclusive ranges.
        let ranges: [ClosedRange<UInt64>]

        func holds(_ o: PluralOperands) -> Bool {
            let value: UInt64
            var exact = true
            switch operand {
            case .n:
                // n is i plus a fraction: it equals a whole number only when the fraction is zero.
                value = o.i
                exact = o.t == 0 && (!o.isHuge || modulus != nil)
            case .i: value = o.i; exact = !o.isHuge || modulus != nil
            case .v: value = UInt64(o.v)
            case .w: value = UInt64(o.w)
            case .f: value = o.f
            case .t: value = o.t
            case .c, .e: value = UInt64(o.e)
            }
            let reduced = modulus.map { value % $0 } ?? value
            let inside = exact && ranges.contains { $0.contains(reduced) }
            return inside != negated
        }
    }

    let alternatives: [[Relation]]

    func holds(_ o: PluralOperands) -> Bool {
        alternatives.contains { all in all.allSatisfy { $0.holds(o) } }
    }
}

/// Reads `condition = and_condition ('or' and_condition)*`, `and_condition = relation ('and' relation)*`,
/// `relation = operand ('%' value)? ('=' | '!=') range_list`, `range_list = (value | value'..'value) (',' ...)*`.
struct ConditionParser {
    let text: String
    private var tokens: [Substring]
    private var position = 0

    init(text: String) {
        self.text = text
        var tokens: [Substring] = []
        var rest = Substring(text)
        while let first = rest.first {
            if first == " " { rest = rest.dropFirst(); continue }
            if rest.hasPrefix("!=") || rest.hasPrefix("..") {
                tokens.append(rest.prefix(2)); rest = rest.dropFirst(2)
            } else if "=%,".contains(first) {
                tokens.append(rest.prefix(1)); rest = rest.dropFirst()
            } else {
                let word = rest.prefix { $0.isLetter || $0.isNumber }
                guard !word.isEmpty else { tokens.append(rest.prefix(1)); rest = rest.dropFirst(); continue }
                tokens.append(word)
                rest = rest.dropFirst(word.count)
            }
        }
        self.tokens = tokens
    }

    mutating func parse() throws(PluralRuleError) -> Condition {
        var alternatives: [[Relation]] = []
        guard position < tokens.count else { throw fail("an empty condition") }
        repeat {
            var all: [Relation] = [try relation()]
            while accept("and") { all.append(try relation()) }
            alternatives.append(all)
        } while accept("or")
        guard position == tokens.count else { throw fail("unexpected \"\(tokens[position])\"") }
        return Condition(alternatives: alternatives)
    }

    typealias Relation = Condition.Relation

    private mutating func relation() throws(PluralRuleError) -> Relation {
        guard position < tokens.count, tokens[position].count == 1,
              let operand = Condition.Operand(rawValue: tokens[position].first!)
        else { throw fail("expected an operand (n, i, v, w, f, t, c, e)") }
        position += 1
        var modulus: UInt64?
        if accept("%") {
            modulus = try value()
            guard modulus != 0 else { throw fail("% 0") }
        }
        let negated: Bool
        if accept("=") { negated = false } else if accept("!=") { negated = true } else { throw fail("expected = or !=") }
        var ranges: [ClosedRange<UInt64>] = []
        repeat {
            let low = try value()
            let high = accept("..") ? try value() : low
            guard low <= high else { throw fail("the range \(low)..\(high) is empty") }
            ranges.append(low...high)
        } while accept(",")
        return Relation(operand: operand, modulus: modulus, negated: negated, ranges: ranges)
    }

    private mutating func value() throws(PluralRuleError) -> UInt64 {
        guard position < tokens.count, let v = UInt64(tokens[position]) else { throw fail("expected a number") }
        position += 1
        return v
    }

    private mutating func accept(_ token: String) -> Bool {
        guard position < tokens.count, tokens[position] == token else { return false }
        position += 1
        return true
    }

    private func fail(_ reason: String) -> PluralRuleError { PluralRuleError(text: text, reason: reason) }
}
