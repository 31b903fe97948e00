import Foundation
import Liquid

/// A named way of choosing items, from `recommendations.yml`:
///
/// ```yaml
/// cart_cross_sell:
///   strategy: cross_sell
///   filter: { stock: { $gt: 0 }, price: { $lte: 200 } }
///   exclude: [purchased, in_cart]
///   boost: [{ when: { tags: { $in: [bestseller] } }, by: 1.5 }]
///   max_per_category: 2
///   limit: 4
/// ```
public struct RecommendationRule: Sendable {
    public enum Strategy: String, Sendable, CaseIterable {
        /// The catalog's most popular items.
        case popular
        /// The fastest-growing: popularity against the period before.
        case trending
        /// What the user looked at lately, latest first.
        case recentlyViewed = "recently_viewed"
        /// Popular items in the categories the user browses most.
        case affinity
        /// What goes with the user's last purchase.
        case crossSell = "cross_sell"
        /// Consumables the user bought whose cycle is about to run out.
        case replenishment
        /// Items added lately, newest first.
        case newArrivals = "new_arrivals"
        /// Items like the one in view (the context's `item_id`) or the one the user viewed last.
        case similar
    }

    public enum Exclusion: String, Sendable, CaseIterable {
        /// Items the user ever bought.
        case purchased
        /// Items in the cart (`user.cart.items`, or a `cart_items` list of ids).
        case inCart = "in_cart"
        /// Items already shown: the context's `shown_items`, and the items of `recommendations_shown` events.
        case shown
        /// Items the user viewed.
        case viewed
    }

    public var name: String
    public var strategy: Strategy
    /// A condition every item must meet (item fields at the top: `stock`, `price`, `category`...).
    public var filter: AudienceCondition?
    public var exclusions: [Exclusion]
    /// Score multipliers for items meeting a condition.
    public var boosts: [(when: AudienceCondition, factor: Double)]
    /// At most this many items of one category; nil for no limit.
    public var maxPerCategory: Int?
    public var limit: Int
    /// Strategy settings: the event names views and purchases come from, windows, lead times.
    public var viewEvents: [String]
    public var days: Double
    public var topCategories: Int
    public var leadDays: Double
    /// For `cross_sell`: what the complements are of, the latest purchase (`purchase`) or the cart (`cart`).
    public var anchor: Anchor = .purchase

    public enum Anchor: String, Sendable, CaseIterable {
        case purchase, cart
    }

    public static let defaultViewEvents = ["product_viewed", "item_viewed", "article_viewed"]

    public init(name: String, strategy: Strategy, filter: AudienceCondition? = nil, exclusions: [Exclusion] = [],
                boosts: [(when: AudienceCondition, factor: Double)] = [], maxPerCategory: Int? = nil, limit: Int = 4,
                viewEvents: [String] = RecommendationRule.defaultViewEvents, days: Double? = nil, topCategories: Int = 3,
                leadDays: Double = 3)
    {
        self.name = name
        self.strategy = strategy
        self.filter = filter
        self.exclusions = exclusions
        self.boosts = boosts
        self.maxPerCategory = maxPerCategory
        self.limit = limit
        self.viewEvents = viewEvents
        self.days = days ?? (strategy == .newArrivals ? 30 : 90)
        self.topCategories = topCategories
        self.leadDays = leadDays
    }
}

extension ContentReader {
    /// The rules of `recommendations.yml`: a mapping from rule name to its settings.
    static func recommendationRules(_ root: YAMLNode, log: IssueLog) -> [RecommendationRule] {
        guard let top = Fields(root, log: log, what: "recommendations.yml") else { return [] }
        var rules: [RecommendationRule] = []
        for name in top.keys {
            guard let node = top.node(name), let f = Fields(node, log: log, what: "rule \"\(name)\"") else { continue }
            let before = log.issues.count
            var strategy: RecommendationRule.Strategy?
            if let text = f.string("strategy", required: true) {
                strategy = RecommendationRule.Strategy(rawValue: text)
                if strategy == nil {
                    log.error(at: f.node("strategy")!, "unknown strategy \"\(text)\"; use one of "
                        + RecommendationRule.Strategy.allCases.map(\.rawValue).joined(separator: ", "))
                }
            }
            let filter = f.node("filter").flatMap { condition($0, log: log, what: "a filter") }
            var exclusions: [RecommendationRule.Exclusion] = []
            for text in f.strings("exclude") ?? [] {
                guard let e = RecommendationRule.Exclusion(rawValue: text) else {
                    log.error(at: f.node("exclude")!, "unknown exclusion \"\(text)\"; use one of "
                        + RecommendationRule.Exclusion.allCases.map(\.rawValue).joined(separator: ", "))
                    continue
                }
                exclusions.append(e)
            }
            var boosts: [(when: AudienceCondition, factor: Double)] = []
            if let node = f.node("boost") {
                let items: [YAMLNode]
                if case .sequence(let list) = node.kind { items = list } else { items = [node] }
                for item in items {
                    guard let b = Fields(item, log: log, what: "a boost") else { continue }
                    let when = b.node("when").flatMap { condition($0, log: log, what: "a boost's \"when\"") }
                    let by = b.number("by")
                    b.reportUnknown(what: "a boost")
                    guard let when, let by, by > 0 else {
                        log.error(at: item, "a boost needs \"when\" (a condition) and \"by\" (a factor above 0)")
                        continue
                    }
                    boosts.append((when, by))
                }
            }
            let maxPerCategory = f.int("max_per_category")
            let limit = f.int("limit") ?? 4
            let viewEvents = f.strings("view_events") ?? RecommendationRule.defaultViewEvents
            let days = f.number("days")
            let top = f.int("top_categories") ?? 3
            let lead = f.number("lead_days") ?? 3
            var anchor = RecommendationRule.Anchor.purchase
            if let text = f.string("anchor") {
                if let a = RecommendationRule.Anchor(rawValue: text), strategy == .crossSell {
                    anchor = a
                } else {
                    log.error(at: f.node("anchor")!, "\"anchor\" is for cross_sell rules: purchase (the latest order) or cart")
                }
            }
            f.reportUnknown(what: "rule \"\(name)\"")
            if limit < 1 || limit > 100 { log.error(at: f.node("limit") ?? node, "\"limit\" is from 1 to 100") }
            if let m = maxPerCategory, m < 1 { log.error(at: f.node("max_per_category")!, "\"max_per_category\" is at least 1") }
            if let d = days, d <= 0 { log.error(at: f.node("days")!, "\"days\" must be above 0") }
            if top < 1 { log.error(at: f.node("top_categories")!, "\"top_categories\" is at least 1") }
            guard let strategy, log.issues.count == before else { continue }
            var rule = RecommendationRule(name: name, strategy: strategy, filter: filter, exclusions: exclusions,
                                          boosts: boosts, maxPerCategory: maxPerCategory, limit: limit,
                                          viewEvents: viewEvents, days: days, topCategories: top, leadDays: lead)
            rule.anchor = anchor
            rules.append(rule)
        }
        top.reportUnknown(what: "recommendations.yml")
        return rules
    }
}
