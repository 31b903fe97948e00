import Foundation
import Liquid
import Personalization

/// The synthetic world the decision and recommendation benchmarks run in: a placement with many campaigns using
/// every kind of rule, users with long event histories and ledgers, and a large catalog.
struct DecisionWorkload {
    static let stages = ["activation", "retention", "revenue", "reengagement", "loyalty"]
    static let eventNames = [
        "page_view", "product_viewed", "search", "add_to_cart", "cart_abandoned", "purchase", "login", "feature_used",
        "report_created", "invite_sent", "email_opened", "email_clicked", "survey_answered", "settings_changed",
        "export", "share", "comment", "upload", "download", "logout",
    ]
    static let placement = "home-hero"

    let now: Date
    let stageRules: StageRules
    let campaigns: [Campaign]
    let users: [Profile]
    let histories: [InteractionHistory]
    let catalog: Catalog
    let rules: [RecommendationRule]

    init(campaignCount: Int, userCount: Int, eventsPerUser: Int, catalogSize: Int, seed: UInt64 = 42) {
        var rng = SplitMix64(seed: seed)
        let now = ISO8601DateFormatter().date(from: "2026-06-10T14:00:00Z")!
        self.now = now
        stageRules = StageRules(rules: [
            StageRule(stage: "reengagement", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 14]])),
            StageRule(stage: "loyalty", when: AudienceCondition(["facts.order_count": ["$gte": 20]])),
            StageRule(stage: "revenue", when: AudienceCondition(["user.plan": "trial"])),
            StageRule(stage: "retention", when: AudienceCondition(["user.activated": true])),
        ], fallback: "activation")

        var campaigns: [Campaign] = []
        let plans: [Value] = ["free", "trial", "pro", "enterprise"]
        for i in 0..<campaignCount {
            var c = Campaign(id: String(format: "campaign-%03d", i), template: "banners/c\(i)", channel: .banner,
                             placement: Self.placement, priority: Int.random(in: 0..<10, using: &rng))
            if Bool.random(using: &rng) {
                c.stages = Array(Self.stages.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
            }
            var clauses: [(String, Value)] = []
            if Int.random(in: 0..<3, using: &rng) > 0 {
                clauses.append(("user.plan", ["$in": .array(Array(plans.shuffled(using: &rng).prefix(2)))]))
            }
            if Bool.random(using: &rng) {
                let name = Self.eventNames.randomElement(using: &rng)!
                clauses.append(("facts.event_counts.\(name).7d", ["$gte": .int(Int.random(in: 1...8, using: &rng))]))
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                clauses.append(("$or", [["facts.rfm.monetary": ["$gte": 3]], ["user.country": ["$in": ["FR", "DE", "GB"]]]]))
            }
            if Int.random(in: 0..<5, using: &rng) == 0 { clauses.append(("user.locale", ["$regex": "^en"])) }
            if !clauses.isEmpty { c.audience = AudienceCondition(.object(LiquidObject(clauses))) }
            if Int.random(in: 0..<5, using: &rng) == 0 {
                c.trigger = Trigger(event: "cart_abandoned", condition: AudienceCondition(["value": ["$gt": 50]]),
                                    delay: 1800, exceptions: ["purchase"], expiry: 3 * 86_400)
            }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                c.window = TimeWindow(from: 8 * 60, to: 22 * 60)
            }
            if Bool.random(using: &rng) {
                c.caps = [FrequencyCap(max: Int.random(in: 1...3, using: &rng), per: Bool.random(using: &rng) ? .day : .rolling(7 * 86_400))]
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { c.variants = [Variant(key: "a", weight: 0.5), Variant(key: "b", weight: 0.5)] }
            if Int.random(in: 0..<10, using: &rng) == 0 { c.holdout = 0.1 }
            if Int.random(in: 0..<10, using: &rng) == 0 {
                c.schedule = Schedule(start: .localDate("2026-06-01"), end: .localDate("2026-06-30"))
            }
            campaigns.append(c)
        }
        self.campaigns = campaigns

        var items: [CatalogItem] = []
        let categories = (0..<40).map { "category-\($0)" }
        let tags = (0..<120).map { "tag-\($0)" }
        for i in 0..<catalogSize {
            var fields = LiquidObject()
            fields["id"] = .string("sku-\(i)")
            fields["title"] = .string("Item \(i)")
            fields["category"] = .string(categories.randomElement(using: &rng)!)
            fields["tags"] = .array((0..<3).map { _ in .string(tags.randomElement(using: &rng)!) })
            fields["price"] = .double(Double(Int.random(in: 100...20_000, using: &rng)) / 100)
            fields["stock"] = .int(Int.random(in: 0...50, using: &rng))
            fields["popularity"] = .int(Int.random(in: 0...1000, using: &rng))
            fields["popularity_previous"] = .int(Int.random(in: 0...1000, using: &rng))
            fields["created_at"] = .string(ISO8601DateFormatter().string(from: now.addingTimeInterval(-Double(Int.random(in: 0...365, using: &rng)) * 86_400)))
            if i % 10 == 0 { fields["replenish_days"] = .int(Int.random(in: 20...90, using: &rng)) }
            fields["complements"] = .array((0..<4).map { _ in .string("sku-\(Int.random(in: 0..<catalogSize, using: &rng))") })
            items.append(try! CatalogItem(fields: fields))
        }
        catalog = try! Catalog(items: items)
        let inStock = AudienceCondition(["stock": ["$gt": 0]])
        rules = RecommendationRule.Strategy.allCases.map { strategy in
            RecommendationRule(name: strategy.rawValue, strategy: strategy, filter: inStock,
                               exclusions: strategy == .replenishment || strategy == .recentlyViewed ? [.inCart] : [.purchased, .inCart],
                               boosts: [(AudienceCondition(["tags": ["$in": ["tag-1", "tag-2"]]]), 1.5)], maxPerCategory: 2, limit: 8)
        }

        var users: [Profile] = []
        var histories: [InteractionHistory] = []
        let zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
        for u in 0..<userCount {
            let id = "user-\(u)"
            var events: [Event] = []
            // Most users were here lately; some drifted away.
            let lastSeen = Int.random(in: 0..<10, using: &rng) == 0 ? Double(Int.random(in: 15...40, using: &rng)) : 0
            for _ in 0..<eventsPerUser {
                let age = lastSeen * 86_400 + Double(Int.random(in: 0..<(90 * 86_400), using: &rng))
                let name = Self.eventNames[min(Self.eventNames.count - 1, Int(abs(Double.random(in: 0..<1, using: &rng) * Double.random(in: 0..<1, using: &rng)) * 20))]
                var properties = LiquidObject()
                switch name {
                case "product_viewed", "add_to_cart": properties["item_id"] = .string("sku-\(Int.random(in: 0..<catalogSize, using: &rng))")
                case "purchase":
                    properties["items"] = .array((0..<2).map { _ in .string("sku-\(Int.random(in: 0..<catalogSize, using: &rng))") })
                    properties["total"] = .double(Double(Int.random(in: 500...30_000, using: &rng)) / 100)
                case "cart_abandoned": properties["value"] = .int(Int.random(in: 10...300, using: &rng))
                default: break
                }
                events.append(Event(name: name, time: now.addingTimeInterval(-age), properties: properties))
            }
            let traits = LiquidObject([
                ("first_name", .string("User \(u)")), ("plan", plans.randomElement(using: &rng)!),
                ("activated", .bool(Bool.random(using: &rng))), ("country", ["FR", "US", "JP", "DE", "GB"].randomElement(using: &rng)!),
                ("locale", ["en-GB", "fr-FR", "ja-JP", "en-US"].randomElement(using: &rng)!),
                ("signed_up_at", .string("2025-0\(Int.random(in: 1...9, using: &rng))-15T10:00:00Z")),
                ("cart", ["items": .array([.string("sku-\(Int.random(in: 0..<catalogSize, using: &rng))")])]),
            ])
            users.append(Profile(id: id, traits: traits, timeZone: TimeZone(identifier: zones[u % zones.count])!, events: events))
            var history = InteractionHistory()
            for _ in 0..<50 {
                let c = campaigns.randomElement(using: &rng)!
                let kind: Interaction.Kind = Int.random(in: 0..<20, using: &rng) == 0 ? .dismiss : .impression
                history.append(Interaction(userId: id, campaign: c.id, channel: c.channel, kind: kind,
                                           time: now.addingTimeInterval(-Double(Int.random(in: 0..<(30 * 86_400), using: &rng)))))
            }
            histories.append(history)
        }
        self.users = users
        self.histories = histories
    }
}
