import Foundation
import Liquid

/// An audience condition in the MongoDB-like syntax GrowthBook made common, evaluated exactly as GrowthBook's
/// SDKs evaluate it (its shared test cases run against this type).
///
/// ```swift
/// let vip = AudienceCondition(["plan": "pro", "orders": ["$gte": 3], "country": ["$in": ["FR", "DE"]]])
/// vip.matches(["plan": "pro", "orders": 5, "country": "FR"])   // true
/// ```
public struct AudienceCondition: Sendable {
    /// The condition as written (a JSON object).
    public var definition: Value { box.definition }
    /// The same, parsed once: paths split, operators resolved, regular expressions compiled.
    private var compiled: ConditionNode { box.compiled }
    /// Both behind one reference: a condition is copied each time a campaign is checked, and one retain is cheaper
    /// than one per part.
    private let box: Box

    private final class Box: Sendable {
        let definition: Value
        let compiled: ConditionNode

        init(_ definition: Value, _ sharing: inout ConditionSharing) {
            self.definition = definition
            self.compiled = ConditionNode(definition, &sharing)
        }
    }

    public init(_ definition: Value) {
        var alone = ConditionSharing(enabled: false)
        box = Box(definition, &alone)
    }

    /// The same condition compiled so that the field tests it has in common with other conditions compiled with
    /// `sharing` are one test: a decision that remembers each test's answer in a ``ConditionMemo`` works each out
    /// once for all its candidates.
    init(_ definition: Value, sharing: inout ConditionSharing) {
        box = Box(definition, &sharing)
    }

    /// Every operator the language has; content using any other is refused at load.
    public static let operators: Set<String> = [
        "$or", "$nor", "$and", "$not", "$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$exists", "$in", "$ini", "$nin",
        "$nini", "$inGroup", "$notInGroup", "$size", "$elemMatch", "$all", "$alli", "$regex", "$regexi", "$type",
        "$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte",
    ]

    /// Whether `attributes` satisfy the condition; `savedGroups` maps a group id to its member values, for
    /// `$inGroup` and `$notInGroup`.
    public func matches(_ attributes: Value, savedGroups: [String: [Value]] = [:]) -> Bool {
        var none = ConditionMemo(count: 0)
        return compiled.holds(on: attributes, savedGroups, &none)
    }

    /// The same over attributes that are looked up path by path rather than built as one document.
    func matches(_ attributes: some AttributeSource, savedGroups: [String: [Value]] = [:]) -> Bool {
        var none = ConditionMemo(count: 0)
        return compiled.holds(on: attributes, savedGroups, &none)
    }

    /// The same, remembering in `memo` the answers of shared field tests (see ``init(_:sharing:)``). A memo holds
    /// for one set of attributes: one user at one moment.
    func matches(_ attributes: some AttributeSource, memo: inout ConditionMemo) -> Bool {
        compiled.holds(on: attributes, [:], &memo)
    }
}

/// Values written out exactly (kind, bit pattern, UTF-8 bytes), to key what a decision shares: two tests share an
/// answer only when their arguments are the same value. JSON text would not do: it writes infinity and NaN as
/// null, and Swift's string equality merges canonically equivalent spellings that compare differently as code
/// units. Nil for a kind of value content never holds (ranges, drops), which is then not shared.
enum ExactKey {
    static func of(_ values: [Value]) -> [UInt8]? {
        var out: [UInt8] = []
        for v in values { guard append(v, to: &out) else { return nil } }
        return out
    }

    private static func append(_ v: Value, to out: inout [UInt8]) -> Bool {
        func word(_ w: UInt64) { withUnsafeBytes(of: w.littleEndian) { out.append(contentsOf: $0) } }
        func text(_ s: String) {
            word(UInt64(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        switch v {
        case .null: out.append(0)
        case .bool(let b): out.append(b ? 2 : 1)
        case .int(let i):
            out.append(3)
            word(UInt64(bitPattern: Int64(i)))
        case .double(let d):
            out.append(4)
            word(d.bitPattern)
        case .string(let s):
            out.append(5)
            text(s)
        case .array(let items):
            out.append(6)
            word(UInt64(items.count))
            for item in items { guard append(item, to: &out) else { return false } }
        case .object(let o):
            out.append(7)
            word(UInt64(o.count))
            for (k, item) in o.pairs {
                text(k)
                guard append(item, to: &out) else { return false }
            }
        case .empty, .blank, .range, .drop: return false
        }
        return true
    }
}

/// Field tests (a path and what its value must be) shared between conditions compiled together.
struct ConditionSharing {
    fileprivate var fields: [[UInt8]: ConditionNode.Field] = [:]
    /// Off: every test is its own (conditions compiled one by one, or evaluated on other documents).
    fileprivate let enabled: Bool

    init(enabled: Bool = true) { self.enabled = enabled }

    /// How many distinct tests there are: the size of a ``ConditionMemo``.
    var count: Int { fields.count }

    fileprivate mutating func field(_ path: String, _ argument: Value) -> ConditionNode.Field {
        guard enabled, let key = ExactKey.of([.string(path), argument]) else {
            return ConditionNode.Field(AttributePath(path), Matcher(argument), slot: -1)
        }
        if let f = fields[key] { return f }
        let f = ConditionNode.Field(AttributePath(path), Matcher(argument), slot: fields.count)
        fields[key] = f
        return f
    }
}

/// Each shared field test's answer for one user at one moment: 0 not yet known, 1 holds, 2 does not.
struct ConditionMemo {
    fileprivate var answers: [UInt8]

    init(count: Int) { answers = [UInt8](repeating: 0, count: count) }
}

/// Where a condition's dotted paths are read from.
protocol AttributeSource {
    /// The value at `path`; null when any step is missing.
    func value(at path: AttributePath) -> Value
}

extension Value: AttributeSource {
    func value(at path: AttributePath) -> Value { path.walk(self, from: 0) }
}

/// A dotted path, split once; a part that reads as an index also addresses arrays.
struct AttributePath: Sendable {
    struct Part: Sendable {
        let name: String
        let index: Int?
    }

    let parts: [Part]
    /// What the path names in a user's attributes (`user.plan`, `facts.event_counts.login.7d`), worked out once so
    /// that reading it is a switch rather than string comparisons.
    let target: UserTarget

    init(_ text: String) {
        parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Part(name: String($0), index: Int($0)) }
        target = UserTarget(parts.map(\.name))
    }

    /// The value at the parts from `start` on, read inside `value`.
    func walk(_ value: Value, from start: Int) -> Value {
        var current = value
        var k = start
        while k < parts.count {
            switch current {
            case .object(let o):
                guard let next = o[parts[k].name] else { return .null }
                current = next
            case .array(let a):
                guard let i = parts[k].index, i >= 0, i < a.count else { return .null }
                current = a[i]
            default:
                return .null
            }
            k += 1
        }
        return current
    }
}

/// Where a dotted path lands in ``UserAttributes``.
enum UserTarget: Sendable {
    /// Null in every user document (`stage.x`, `user.id.x`, `facts.order_count.x`, an unknown first part).
    case none
    /// `user`: the traits with the id.
    case user
    case userId
    /// `user.<name>`, read straight from the traits.
    case trait(String)
    /// `user.<name>.…`, or anything else under `user`: walked from part 1.
    case traitPath
    /// `facts.event_counts.<name>.<window>`: 0 is the last day, 1 the last 7 days, 2 the last 30.
    case eventCount(String, window: Int)
    case fact(FactField)
    case rfm(RFM)
    /// Any other path under `facts`: the facts document walked from part 1.
    case factsPath
    case stage
    /// `context.…`, walked from part 1.
    case context

    enum FactField: Sendable {
        case daysSinceSignup, daysSinceLastSeen, orderCount, totalSpent, localHour, localTime, weekday, localDate,
             daysUntilBirthday
    }

    enum RFM: Sendable { case recency, frequency, monetary }

    init(_ parts: [String]) {
        guard let first = parts.first else {
            self = .none
            return
        }
        switch first {
        case "user":
            if parts.count == 1 { self = .user } else if parts[1] == "id" { self = parts.count == 2 ? .userId : .none }
            else { self = parts.count == 2 ? .trait(parts[1]) : .traitPath }
        case "facts": self = Self.fact(parts)
        case "stage": self = parts.count == 1 ? .stage : .none
        case "context": self = .context
        default: self = .none
        }
    }

    private static func fact(_ parts: [String]) -> UserTarget {
        guard parts.count >= 2 else { return .factsPath }
        let scalar = parts.count == 2
        switch parts[1] {
        case "event_counts":
            guard parts.count == 4 else { return .factsPath }
            switch parts[3] {
            case "1d": return .eventCount(parts[2], window: 0)
            case "7d": return .eventCount(parts[2], window: 1)
            case "30d": return .eventCount(parts[2], window: 2)
            default: return .factsPath
            }
        case "days_since_signup": return scalar ? .fact(.daysSinceSignup) : .none
        case "days_since_last_seen": return scalar ? .fact(.daysSinceLastSeen) : .none
        case "order_count": return scalar ? .fact(.orderCount) : .none
        case "total_spent": return scalar ? .fact(.totalSpent) : .none
        case "local_hour": return scalar ? .fact(.localHour) : .none
        case "local_time": return scalar ? .fact(.localTime) : .none
        case "weekday": return scalar ? .fact(.weekday) : .none
        case "local_date": return scalar ? .fact(.localDate) : .none
        case "days_until_birthday": return scalar ? .fact(.daysUntilBirthday) : .none
        case "rfm" where parts.count == 3:
            switch parts[2] {
            case "recency": return .rfm(.recency)
            case "frequency": return .rfm(.frequency)
            case "monetary": return .rfm(.monetary)
            default: return .none
            }
        default: return .factsPath
        }
    }
}

/// A condition object: every clause must hold.
private indirect enum ConditionNode: Sendable {
    /// Not an object: never holds.
    case invalid
    case all([Clause])

    enum Clause: Sendable {
        /// `$or` (true when empty), `$nor`, `$and`; nil when the argument is not a list (never holds).
        case or([ConditionNode]?)
        case nor([ConditionNode]?)
        case and([ConditionNode]?)
        case not(ConditionNode)
        case field(Field)
    }

    /// A path and what its value must be. A class, so that checking a clause passes one reference rather than
    /// copying (and retaining) every part of the path and the matcher.
    final class Field: Sendable {
        let path: AttributePath
        let matcher: Matcher
        /// Its place in a ``ConditionMemo``; -1 when not shared.
        let slot: Int

        init(_ path: AttributePath, _ matcher: Matcher, slot: Int) {
            self.path = path
            self.matcher = matcher
            self.slot = slot
        }

        func holds(on object: some AttributeSource, _ groups: [String: [Value]], _ memo: inout ConditionMemo) -> Bool {
            guard slot >= 0, slot < memo.answers.count else { return matcher.matches(object.value(at: path), groups) }
            switch memo.answers[slot] {
            case 1: return true
            case 2: return false
            default:
                let answer = matcher.matches(object.value(at: path), groups)
                memo.answers[slot] = answer ? 1 : 2
                return answer
            }
        }
    }

    /// A condition on its own (an `$elemMatch` inside one is evaluated on each element, so never shared).
    init(_ condition: Value) {
        var alone = ConditionSharing(enabled: false)
        self.init(condition, &alone)
    }

    init(_ condition: Value, _ sharing: inout ConditionSharing) {
        guard case .object(let clauses) = condition else {
            self = .invalid
            return
        }
        self = .all(clauses.pairs.map { key, argument in
            func list() -> [ConditionNode]? { argument.arrayValue.map { $0.map { ConditionNode($0, &sharing) } } }
            switch key {
            case "$or": return .or(list())
            case "$nor": return .nor(list())
            case "$and": return .and(list())
            case "$not": return .not(ConditionNode(argument, &sharing))
            default: return .field(sharing.field(key, argument))
            }
        })
    }

    func holds(on object: some AttributeSource, _ groups: [String: [Value]], _ memo: inout ConditionMemo) -> Bool {
        guard case .all(let clauses) = self else { return false }
        for k in clauses.indices {
            switch clauses[k] {
            case .or(let list):
                guard let list else { return false }
                if !list.isEmpty && !list.contains(where: { $0.holds(on: object, groups, &memo) }) { return false }
            case .nor(let list):
                guard let list else { return false }
                if list.contains(where: { $0.holds(on: object, groups, &memo) }) { return false }
            case .and(let list):
                guard let list, list.allSatisfy({ $0.holds(on: object, groups, &memo) }) else { return false }
            case .not(let node):
                if node.holds(on: object, groups, &memo) { return false }
            case .field(let field):
                if !field.holds(on: object, groups, &memo) { return false }
            }
        }
        return true
    }
}

/// What a value must be: a literal compared as JavaScript would, or operators.
private indirect enum Matcher: Sendable {
    case string(String, caseInsensitive: Bool)
    case number(Double)
    case bool(Bool)
    case null
    /// Arrays and plain objects compare by their JSON text.
    case json(String)
    case operators([Operator])

    init(_ condition: Value, caseInsensitive: Bool = false) {
        switch condition {
        case .string(let s): self = .string(caseInsensitive ? s.lowercased() : s, caseInsensitive: caseInsensitive)
        case .int, .double: self = .number(JavaScript.number(condition))
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        default:
            guard Self.isOperatorObject(condition), case .object(let ops) = condition else {
                self = .json(JavaScript.stringify(condition))
                return
            }
            self = .operators(ops.pairs.map { Operator($0.0, $0.1) })
        }
    }

    static func isOperatorObject(_ v: Value) -> Bool {
        guard case .object(let o) = v, !o.isEmpty else { return false }
        return o.keys.allSatisfy { $0.hasPrefix("$") }
    }

    func matches(_ actual: Value, _ groups: [String: [Value]]) -> Bool {
        switch self {
        case .string(let expected, let ci):
            if case .string(let s) = actual { return ci ? s.lowercased() == expected : s == expected }
            return ci ? JavaScript.string(actual).lowercased() == expected : JavaScript.string(actual) == expected
        case .number(let n): return JavaScript.number(actual) == n
        case .bool(let expected): return !actual.isNil && JavaScript.truthy(actual) == expected
        case .null: return actual.isNil
        case .json(let text): return JavaScript.stringify(actual) == text
        case .operators(let ops):
            for k in ops.indices where !ops[k].holds(actual, groups) { return false }
            return true
        }
    }
}

/// A regular expression compiled once. `NSRegularExpression` is immutable and safe to share between threads.
/// Patterns that are plain text, perhaps anchored (`^en`, `@example\\.com$`), are matched as text.
private struct Regex: @unchecked Sendable {
    let expression: NSRegularExpression?
    /// For a plain pattern: the text, and whether it is anchored at the start and at the end.
    let literal: (text: String, start: Bool, end: Bool)?

    init(pattern: String, caseInsensitive: Bool) {
        expression = try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        literal = caseInsensitive ? nil : Self.plain(pattern)
    }

    /// The text of a pattern with no special characters besides a leading `^`, a trailing `$` and escaped dots.
    private static func plain(_ pattern: String) -> (String, Bool, Bool)? {
        var body = Substring(pattern)
        let start = body.hasPrefix("^")
        if start { body = body.dropFirst() }
        let end = body.hasSuffix("$") && !body.hasSuffix("\\$")
        if end { body = body.dropLast() }
        var text = ""
        var escaped = false
        for c in body {
            if escaped {
                guard c == "." || c == "-" || c == "/" || c == "@" else { return nil }
                text.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if (c.isASCII && (c.isLetter || c.isNumber)) || c == "-" || c == "_" || c == "@" || c == "/" || c == ":" || c == " " {
                text.append(c)
            } else {
                return nil
            }
        }
        return escaped ? nil : (text, start, end)
    }

    /// A JavaScript `RegExp.test`; an invalid pattern never matches.
    func test(_ subject: String) -> Bool {
        if let literal {
            switch (literal.start, literal.end) {
            case (true, true): return subject == literal.text
            case (true, false): return subject.hasPrefix(literal.text)
            case (false, true): return subject.hasSuffix(literal.text)
            case (false, false): return literal.text.isEmpty || subject.contains(literal.text)
            }
        }
        guard let expression else { return false }
        let range = NSRange(subject.startIndex..<subject.endIndex, in: subject)
        return expression.firstMatch(in: subject, options: [], range: range) != nil
    }
}

private indirect enum Operator: Sendable {
    enum Relation: Sendable { case lt, lte, gt, gte }

    case version(Relation?, equal: Bool, String)
    case eq(Value, negated: Bool)
    case relation(Relation, Value)
    case exists(Bool)
    case member([Value], caseInsensitive: Bool, negated: Bool)
    /// `$in` with a list that is not a list: never holds.
    case never
    case group(String, negated: Bool)
    case not(Matcher)
    case size(Matcher)
    case elemMatch(Matcher?, ConditionNode?)
    case all([Matcher])
    case regex(Regex)
    case type(String)

    init(_ op: String, _ expected: Value) {
        switch op {
        case "$veq": self = .version(nil, equal: true, Version.padded(expected))
        case "$vne": self = .version(nil, equal: false, Version.padded(expected))
        case "$vgt": self = .version(.gt, equal: false, Version.padded(expected))
        case "$vgte": self = .version(.gte, equal: false, Version.padded(expected))
        case "$vlt": self = .version(.lt, equal: false, Version.padded(expected))
        case "$vlte": self = .version(.lte, equal: false, Version.padded(expected))
        case "$eq": self = .eq(expected, negated: false)
        case "$ne": self = .eq(expected, negated: true)
        case "$lt": self = .relation(.lt, expected)
        case "$lte": self = .relation(.lte, expected)
        case "$gt": self = .relation(.gt, expected)
        case "$gte": self = .relation(.gte, expected)
        case "$exists": self = .exists(JavaScript.truthy(expected))
        case "$in", "$ini", "$nin", "$nini":
            guard case .array(let list) = expected else {
                self = .never
                return
            }
            let ci = op == "$ini" || op == "$nini"
            self = .member(ci ? list.map(Self.folded) : list, caseInsensitive: ci, negated: op.hasPrefix("$n"))
        case "$inGroup", "$notInGroup": self = .group(JavaScript.string(expected), negated: op == "$notInGroup")
        case "$not": self = .not(Matcher(expected))
        case "$size": self = .size(Matcher(expected))
        case "$elemMatch":
            self = Matcher.isOperatorObject(expected) ? .elemMatch(Matcher(expected), nil) : .elemMatch(nil, ConditionNode(expected))
        case "$all", "$alli":
            guard case .array(let required) = expected else {
                self = .never
                return
            }
            self = .all(required.map { Matcher($0, caseInsensitive: op == "$alli") })
        case "$regex", "$regexi":
            self = .regex(Regex(pattern: JavaScript.string(expected), caseInsensitive: op == "$regexi"))
        case "$type": self = .type(JavaScript.string(expected))
        default: self = .never
        }
    }

    static func folded(_ v: Value) -> Value {
        if case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    func holds(_ actual: Value, _ groups: [String: [Value]]) -> Bool {
        switch self {
        case .version(let relation, let equal, let expected):
            let v = Version.padded(actual)
            switch relation {
            case nil: return (v == expected) == equal
            case .gt?: return v > expected
            case .gte?: return v >= expected
            case .lt?: return v < expected
            case .lte?: return v <= expected
            }
        case .eq(let expected, let negated): return JavaScript.strictEquals(actual, expected) != negated
        case .relation(let relation, let expected):
            guard let order = JavaScript.order(actual, expected) else { return false }
            switch relation {
            case .lt: return order < 0
            case .lte: return order <= 0
            case .gt: return order > 0
            case .gte: return order >= 0
            }
        case .exists(let present): return present ? !actual.isNil : actual.isNil
        case .member(let list, let ci, let negated):
            return Self.isIn(actual, list, caseInsensitive: ci) != negated
        case .never: return false
        case .group(let id, let negated):
            return Self.isIn(actual, groups[id] ?? [], caseInsensitive: false) != negated
        case .not(let matcher): return !matcher.matches(actual, groups)
        case .size(let matcher):
            guard case .array(let items) = actual else { return false }
            return matcher.matches(.int(items.count), groups)
        case .elemMatch(let matcher, let node):
            guard case .array(let items) = actual else { return false }
            return items.contains { item in
                var none = ConditionMemo(count: 0)
                return JavaScript.truthy(item) && (matcher?.matches(item, groups) ?? node?.holds(on: item, groups, &none) ?? false)
            }
        case .all(let required):
            guard case .array(let items) = actual else { return false }
            return required.allSatisfy { r in items.contains { r.matches($0, groups) } }
        case .regex(let regex): return regex.test(JavaScript.string(actual))
        case .type(let name): return Self.type(of: actual) == name
        }
    }

    /// Membership (SameValueZero); when the attribute is an array, any shared element.
    static func isIn(_ actual: Value, _ list: [Value], caseInsensitive: Bool) -> Bool {
        func contains(_ v: Value) -> Bool {
            let v = caseInsensitive ? folded(v) : v
            return list.contains { JavaScript.sameValueZero($0, v) }
        }
        if case .array(let items) = actual { return items.contains(where: contains) }
        return contains(actual)
    }

    static func type(of v: Value) -> String {
        switch v {
        case .null, .empty, .blank: return "null"
        case .array, .range: return "array"
        case .string: return "string"
        case .int, .double: return "number"
        case .bool: return "boolean"
        case .object, .drop: return "object"
        }
    }
}

/// Version strings made comparable as plain strings, GrowthBook's way: `v` and build metadata dropped, numeric
/// parts padded to five places, and a final `~` so a release sorts after its pre-releases.
enum Version {
    static func padded(_ input: Value) -> String {
        var text: String
        switch input {
        case .int, .double: text = JavaScript.string(input)
        case .string(let s) where !s.isEmpty: text = s
        default: text = "0"
        }
        if text.hasPrefix("v") { text.removeFirst() }
        if let plus = text.firstIndex(of: "+") { text = String(text[..<plus]) }
        var parts = text.split(omittingEmptySubsequences: false) { $0 == "-" || $0 == "." }.map(String.init)
        if parts.count == 3 { parts.append("~") }
        return parts.map { part in
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return part }
            return String(repeating: " ", count: max(0, 5 - part.count)) + part
        }.joined(separator: "-")
    }
}
