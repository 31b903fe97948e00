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
        switch path.target {
        case .none: return .null
        case .user: return TargetingAttributes.user(profile)
        case .userId: return .string(profile.id)
        case .trait(let name): return profile.traits[name] ?? .null
        case .traitPath: return path.walk(.object(profile.traits), from: 1)
        case .eventCount(let name, let window):
            guard let row = facts.eventCount(name) else { return .null }
            return .int(window == 0 ? row.day : window == 1 ? row.week : row.month)
        case .fact(let field): return facts.value(of: field)
        case .rfm(let score):
            switch score {
            case .recency: return .int(facts.recencyScore)
            case .frequency: return .int(facts.frequencyScore)
            case .monetary: return .int(facts.monetaryScore)
            }
        case .factsPath: return path.walk(facts.value, from: 1)
        case .stage: return stage.map(Value.string) ?? .null
        case .context: return path.walk(.object(context), from: 1)
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
    /// One scalar fact, as in ``value``.
    func value(of field: UserTarget.FactField) -> Value {
        switch field {
        case .daysSinceSignup: return daysSinceSignup.map { .int($0) } ?? .null
        case .daysSinceLastSeen: return daysSinceLastSeen.map { .int($0) } ?? .null
        case .orderCount: return .int(orderCount)
        case .totalSpent: return .double(totalSpent)
        case .localHour: return .int(localHour)
        case .localTime: return .string(localTime)
        case .weekday: return .string(weekday)
        case .localDate: return .string(localDate)
        case .daysUntilBirthday: return daysUntilBirthday.map { .int($0) } ?? .null
        }
    }
}
