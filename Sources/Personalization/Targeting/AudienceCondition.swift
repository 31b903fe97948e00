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
    public let definition: Value

    public init(_ definition: Value) { self.definition = definition }

    /// Every operator the language has; content using any other is refused at load.
    public static let operators: Set<String> = [
        "$or", "$nor", "$and", "$not", "$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$exists", "$in", "$ini", "$nin",
        "$nini", "$inGroup", "$notInGroup", "$size", "$elemMatch", "$all", "$alli", "$regex", "$regexi", "$type",
        "$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte",
    ]

    /// Whether `attributes` satisfy the condition; `savedGroups` maps a group id to its member values, for
    /// `$inGroup` and `$notInGroup`.
    public func matches(_ attributes: Value, savedGroups: [String: [Value]] = [:]) -> Bool {
        Evaluation(savedGroups: savedGroups).condition(definition, on: attributes)
    }
}

/// One evaluation: the recursive rules of the condition language.
private struct Evaluation {
    let savedGroups: [String: [Value]]

    func condition(_ condition: Value, on object: Value) -> Bool {
        guard case .object(let clauses) = condition else { return false }
        for (key, argument) in clauses.pairs {
            switch key {
            case "$or": if !any(argument, on: object) { return false }
            case "$nor": if any(argument, on: object) { return false }
            case "$and": if !all(argument, on: object) { return false }
            case "$not": if self.condition(argument, on: object) { return false }
            default: if !value(argument, matches: Self.path(key, in: object)) { return false }
            }
        }
        return true
    }

    /// `$or`: true for an empty list.
    private func any(_ conditions: Value, on object: Value) -> Bool {
        guard case .array(let list) = conditions else { return false }
        return list.isEmpty || list.contains { condition($0, on: object) }
    }

    private func all(_ conditions: Value, on object: Value) -> Bool {
        guard case .array(let list) = conditions else { return false }
        return list.allSatisfy { condition($0, on: object) }
    }

    /// The value at a dotted path; null when any step is missing.
    static func path(_ path: String, in object: Value) -> Value {
        var current = object
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let o):
                guard let next = o[String(part)] else { return .null }
                current = next
            case .array(let a):
                guard let i = Int(part), i >= 0, i < a.count else { return .null }
                current = a[i]
            default:
                return .null
            }
        }
        return current
    }

    static func isOperatorObject(_ v: Value) -> Bool {
        guard case .object(let o) = v, !o.isEmpty else { return false }
        return o.keys.allSatisfy { $0.hasPrefix("$") }
    }

    /// A value against a condition value: a literal (compared as JavaScript would), or operators.
    func value(_ condition: Value, matches actual: Value, caseInsensitive: Bool = false) -> Bool {
        switch condition {
        case .string(let expected):
            if caseInsensitive { return JavaScript.string(actual).lowercased() == expected.lowercased() }
            return JavaScript.string(actual) == expected
        case .int, .double:
            return JavaScript.number(actual) == JavaScript.number(condition)
        case .bool(let expected):
            return !actual.isNil && JavaScript.truthy(actual) == expected
        case .null:
            return actual.isNil
        default:
            guard Self.isOperatorObject(condition), case .object(let operators) = condition else {
                return JavaScript.stringify(actual) == JavaScript.stringify(condition)
            }
            return operators.pairs.allSatisfy { apply($0.0, actual, $0.1) }
        }
    }

    private func apply(_ op: String, _ actual: Value, _ expected: Value) -> Bool {
        switch op {
        case "$veq": return Version.padded(actual) == Version.padded(expected)
        case "$vne": return Version.padded(actual) != Version.padded(expected)
        case "$vgt": return Version.padded(actual) > Version.padded(expected)
        case "$vgte": return Version.padded(actual) >= Version.padded(expected)
        case "$vlt": return Version.padded(actual) < Version.padded(expected)
        case "$vlte": return Version.padded(actual) <= Version.padded(expected)
        case "$eq": return JavaScript.strictEquals(actual, expected)
        case "$ne": return !JavaScript.strictEquals(actual, expected)
        case "$lt": return JavaScript.order(actual, expected).map { $0 < 0 } ?? false
        case "$lte": return JavaScript.order(actual, expected).map { $0 <= 0 } ?? false
        case "$gt": return JavaScript.order(actual, expected).map { $0 > 0 } ?? false
        case "$gte": return JavaScript.order(actual, expected).map { $0 >= 0 } ?? false
        case "$exists": return JavaScript.truthy(expected) ? !actual.isNil : actual.isNil
        case "$in", "$ini", "$nin", "$nini":
            guard case .array(let list) = expected else { return false }
            let found = isIn(actual, list, caseInsensitive: op == "$ini" || op == "$nini")
            return op.hasPrefix("$n") ? !found : found
        case "$inGroup", "$notInGroup":
            let members = savedGroups[JavaScript.string(expected)] ?? []
            let found = isIn(actual, members, caseInsensitive: false)
            return op == "$inGroup" ? found : !found
        case "$not": return !value(expected, matches: actual)
        case "$size":
            guard case .array(let items) = actual else { return false }
            return value(expected, matches: .int(items.count))
        case "$elemMatch":
            guard case .array(let items) = actual else { return false }
            let operators = Self.isOperatorObject(expected)
            return items.contains { item in
                JavaScript.truthy(item) && (operators ? value(expected, matches: item) : condition(expected, on: item))
            }
        case "$all", "$alli":
            guard case .array(let required) = expected, case .array(let items) = actual else { return false }
            return required.allSatisfy { r in items.contains { value(r, matches: $0, caseInsensitive: op == "$alli") } }
        case "$regex", "$regexi":
            return Self.regexMatches(JavaScript.string(expected), JavaScript.string(actual), caseInsensitive: op == "$regexi")
        case "$type": return Self.type(of: actual) == JavaScript.string(expected)
        default: return false
        }
    }

    /// Membership; when the attribute is an array, any shared element.
    private func isIn(_ actual: Value, _ list: [Value], caseInsensitive: Bool) -> Bool {
        func fold(_ v: Value) -> Value {
            if caseInsensitive, case .string(let s) = v { return .string(s.lowercased()) }
            return v
        }
        func contains(_ v: Value) -> Bool { list.contains { JavaScript.sameValueZero(fold($0), fold(v)) } }
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

    /// A JavaScript `RegExp.test`; an invalid pattern never matches.
    static func regexMatches(_ pattern: String, _ subject: String, caseInsensitive: Bool) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : []) else {
            return false
        }
        let range = NSRange(subject.startIndex..<subject.endIndex, in: subject)
        return regex.firstMatch(in: subject, options: [], range: range) != nil
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
