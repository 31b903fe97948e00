import Foundation
import Liquid
import Testing
@testable import Personalization

@Suite struct StageRulesTests {
    /// The SaaS journey of the product brief.
    static let saas = StageRules(rules: [
        StageRule(stage: "reengagement", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 30]])),
        StageRule(stage: "loyalty", when: AudienceCondition(["facts.order_count": ["$gte": 3]])),
        StageRule(stage: "revenue", when: AudienceCondition(["user.plan": "trial", "user.activated": true])),
        StageRule(stage: "retention", when: AudienceCondition(["user.activated": true])),
    ], fallback: "activation")

    /// The commerce journey, the same mechanism with other names.
    static let commerce = StageRules(rules: [
        StageRule(stage: "reactivation", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 60]])),
        StageRule(stage: "engagement-and-loyalty", when: AudienceCondition(["facts.rfm.frequency": ["$gte": 4]])),
        StageRule(stage: "purchase-and-experience", when: AudienceCondition(["facts.order_count": ["$gte": 1]])),
        StageRule(stage: "research-and-consideration", when: AudienceCondition(["facts.event_counts.product_view.30d": ["$gte": 1]])),
    ], fallback: "need-creation")

    static let now = Timestamp.parse("2026-03-20T12:00:00Z")!

    static func attributes(traits: [(String, Value)], events: [(String, Int)]) -> Value {
        let profile = Profile(id: "u", traits: LiquidObject(traits),
                              events: events.map { Event(name: $0.0, time: now.addingTimeInterval(-Double($0.1) * 86_400)) })
        return TargetingAttributes.make(profile: profile, facts: Facts(profile: profile, now: now))
    }

    @Test(arguments: [
        ([], [("login", 1)], "activation", nil as Int?),
        ([("activated", true)], [("login", 1)], "retention", 3),
        ([("activated", true), ("plan", "trial")], [("login", 1)], "revenue", 2),
        ([("activated", true)], [("purchase", 3), ("purchase", 2), ("purchase", 1)], "loyalty", 1),
        ([("activated", true)], [("purchase", 45), ("purchase", 40), ("purchase", 35)], "reengagement", 0),
    ] as [([(String, Value)], [(String, Int)], String, Int?)])
    func firstMatchingRuleWins(traits: [(String, Value)], events: [(String, Int)], stage: String, rule: Int?) {
        let decision = Self.saas.stage(for: Self.attributes(traits: traits, events: events))
        #expect(decision.stage == stage)
        #expect(decision.rule == rule)
    }

    @Test func commerceJourneyIsExpressible() {
        #expect(Self.commerce.stage(for: Self.attributes(traits: [], events: [])).stage == "need-creation")
        #expect(Self.commerce.stage(for: Self.attributes(traits: [], events: [("product_view", 2)])).stage == "research-and-consideration")
        #expect(Self.commerce.stage(for: Self.attributes(traits: [], events: [("purchase", 2)])).stage == "purchase-and-experience")
        #expect(Self.commerce.stage(for: Self.attributes(traits: [], events: [("purchase", 70)])).stage == "reactivation")
    }

    @Test func aStatedStageWinsWhenItIsKnown() {
        let attributes = Self.attributes(traits: [], events: [])
        #expect(Self.saas.stage(for: attributes, stated: "loyalty") == StageDecision(stage: "loyalty", rule: nil, stated: true))
        #expect(Self.saas.stage(for: attributes, stated: "nonsense").stage == "activation")
        #expect(Self.saas.stages == ["reengagement", "loyalty", "revenue", "retention", "activation"])
    }
}
