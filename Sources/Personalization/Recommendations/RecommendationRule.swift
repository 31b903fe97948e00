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
    public var anchor: AnchorKind = .purchase

    public enum AnchorKind: String, Sendable, CaseIterable {
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
