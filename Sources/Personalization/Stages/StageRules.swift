import Liquid

/// Lifecycle stages as configuration: ordered rules, the first whose condition holds names the stage.
///
/// Both frameworks of the product brief are just rule lists, e.g. the SaaS one:
/// ```swift
/// let saas = StageRules(rules: [
///     StageRule(stage: "reengagement", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 30]])),
///     StageRule(stage: "loyalty", when: AudienceCondition(["facts.order_count": ["$gte": 3]])),
///     StageRule(stage: "revenue", when: AudienceCondition(["user.plan": "trial", "user.activated": true])),
///     StageRule(stage: "retention", when: AudienceCondition(["user.activated": true])),
/// ], fallback: "activation")
/// ```
public struct StageRules: Sendable {
    public var rules: [StageRule]
    /// The stage when no rule matches.
    public var fallback: String

    public init(rules: [StageRule], fallback: String) {
        self.rules = rules
        self.fallback = fallback
    }

    /// Every stage the rules can produce, in rule order, the fallback last.
    public var stages: [String] {
        var seen: [String] = []
        for stage in rules.map(\.stage) + [fallback] where !seen.contains(stage) { seen.append(stage) }
        return seen
    }

    /// The user's stage: the one the caller states, when it is a known stage, else the first matching rule's.
    /// Evaluated on every call, so a profile change moves the user at once.
    public func stage(for attributes: Value, stated: String? = nil) -> StageDecision {
        stage(from: attributes, stated: stated)
    }

    func stage(from attributes: some AttributeSource, stated: String? = nil) -> StageDecision {
        if let stated, stages.contains(stated) { return StageDecision(stage: stated, rule: nil, stated: true) }
        for (index, rule) in rules.enumerated() where rule.when.matches(attributes) {
            return StageDecision(stage: rule.stage, rule: index, stated: false)
        }
        return StageDecision(stage: fallback, rule: nil, stated: false)
    }
}

/// One rule: the stage, and when it applies.
public struct StageRule: Sendable {
    public var stage: String
    public var when: AudienceCondition

    public init(stage: String, when: AudienceCondition) {
        self.stage = stage
        self.when = when
    }
}

/// Which stage, and why: the rule index that matched, or the caller's word, or the fallback.
public struct StageDecision: Sendable, Equatable {
    public let stage: String
    public let rule: Int?
    public let stated: Bool
}

/// The document conditions are evaluated against: `user` (traits with `id`), `facts`, `stage` once known, and
/// the caller's `context` (page URL, locale...).
public enum TargetingAttributes {
    public static func make(profile: Profile, facts: Facts, stage: String? = nil, context: LiquidObject = LiquidObject()) -> Value {
        var pairs: [(String, Value)] = [("user", user(profile)), ("facts", facts.value)]
        if let stage { pairs.append(("stage", .string(stage))) }
        pairs.append(("context", .object(context)))
        return .object(LiquidObject(pairs))
    }
}

/// The same document as ``TargetingAttributes/make(profile:facts:stage:context:)``, read path by path: conditions
/// look up the few values they name instead of building every fact into a document first.
/// A class: a request passes one reference to every condition instead of copying a profile's worth of fields.
final class UserAttributes: AttributeSource, Sendable {
    let profile: Profile
    let facts: Facts
    let stage: String?
    let context: LiquidObject

    init(profile: Profile, facts: Facts, stage: String?, context: LiquidObject) {
        self.profile = profile
        self.facts = facts
        self.stage = stage
        self.context = context
    }

    func value(at path: AttributePath) -> Value {
        guard let first = path.parts.first else { return .null }
        let last = path.parts.count == 1
        switch first.name {
        case "user":
            if last { return TargetingAttributes.user(profile) }
            if path.parts[1].name == "id" { return path.parts.count == 2 ? .string(profile.id) : .null }
            return path.walk(.object(profile.traits), from: 1)
        case "facts": return facts.value(at: path, from: 1)
        case "stage": return last ? stage.map(Value.string) ?? .null : .null
        case "context": return path.walk(.object(context), from: 1)
        default: return .null
        }
    }
}

extension TargetingAttributes {
    /// The traits with the user's id.
    public static func user(_ profile: Profile) -> Value {
        var user = profile.traits
        user["id"] = .string(profile.id)
        return .object(user)
    }
}

extension Facts {
    /// The value at `path` from part `k` on, as in ``value``, without building the whole document for the usual
    /// paths (`event_counts.<name>.<window>`, scalars, `rfm.<score>`).
    func value(at path: AttributePath, from k: Int) -> Value {
        let parts = path.parts
        guard k < parts.count else { return value }
        func scalar(_ v: Value) -> Value { k + 1 == parts.count ? v : .null }
        switch parts[k].name {
        case "event_counts":
            guard k + 1 < parts.count else { return path.walk(value, from: k) }
            guard let row = eventCounts[parts[k + 1].name] else { return .null }
            guard k + 2 < parts.count else { return row.value }
            guard k + 3 == parts.count else { return .null }
            switch parts[k + 2].name {
            case "1d": return .int(row.day)
            case "7d": return .int(row.week)
            case "30d": return .int(row.month)
            default: return .null
            }
        case "days_since_signup": return scalar(daysSinceSignup.map { .int($0) } ?? .null)
        case "days_since_last_seen": return scalar(daysSinceLastSeen.map { .int($0) } ?? .null)
        case "order_count": return scalar(.int(orderCount))
        case "total_spent": return scalar(.double(totalSpent))
        case "local_hour": return scalar(.int(localHour))
        case "local_time": return scalar(.string(localTime))
        case "weekday": return scalar(.string(weekday))
        case "local_date": return scalar(.string(localDate))
        case "days_until_birthday": return scalar(daysUntilBirthday.map { .int($0) } ?? .null)
        case "rfm" where k + 2 == parts.count:
            switch parts[k + 1].name {
            case "recency": return .int(recencyScore)
            case "frequency": return .int(frequencyScore)
            case "monetary": return .int(monetaryScore)
            default: return .null
            }
        default: return path.walk(value, from: k)
        }
    }
}
