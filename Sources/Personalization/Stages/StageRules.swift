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
        var user = profile.traits
        user["id"] = .string(profile.id)
        var pairs: [(String, Value)] = [("user", .object(user)), ("facts", facts.value)]
        if let stage { pairs.append(("stage", .string(stage))) }
        pairs.append(("context", .object(context)))
        return .object(LiquidObject(pairs))
    }
}
