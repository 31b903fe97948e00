import Foundation
import Liquid

/// One thing that can be recommended: a product, an article, a feature. The named fields are what strategies use;
/// every field (named or not) is what templates and filters see.
public struct CatalogItem: Sendable {
    public let id: String
    public let category: String?
    public let tags: [String]
    public let price: Double?
    /// Units in stock; nil when not tracked.
    public let stock: Int?
    /// When it was added (`created_at`), for new arrivals.
    public let createdAt: Date?
    /// Demand over the last period (units sold or views, `popularity`) and over the one before
    /// (`popularity_previous`): popular ranks by the first, trending by the growth between them.
    public let popularity: Double
    public let previousPopularity: Double
    /// How many days one purchase lasts (`replenish_days`: razor blades 30, face cream 60).
    public let replenishDays: Double?
    /// Items bought with it or meant to go with it (`complements`), best first.
    public let complements: [String]
    /// The whole item as data.
    public let fields: LiquidObject

    /// Reads an item; the message says which field is wrong.
    public init(fields: LiquidObject) throws(CatalogError) {
        guard let id = fields["id"].flatMap(Self.text), !id.isEmpty else { throw CatalogError("an item needs an \"id\"") }
        self.id = id
        category = fields["category"].flatMap(Self.text)
        tags = try Self.list(fields["tags"], "tags", id)
        price = try Self.number(fields["price"], "price", id)
        // A count: a whole number a stock can be (1e300 is a number, not a stock, and has no Int).
        stock = try Self.number(fields["stock"], "stock", id).map { (d: Double) throws(CatalogError) -> Int in
            guard let n = Int(exactly: d.rounded(.towardZero)), abs(n) <= 1 << 53 else {
                throw CatalogError("item \"\(id)\": \"stock\" must be a whole number of items, not \(d)")
            }
            return n
        }
        if let raw = fields["created_at"], !raw.isNil {
            guard let text = raw.stringValue, let date = Timestamp.parse(text) ?? Self.day(text) else {
                throw CatalogError("item \"\(id)\": \"created_at\" must be a date (2026-11-01) or an ISO 8601 time")
            }
            createdAt = date
        } else {
            createdAt = nil
        }
        popularity = try Self.number(fields["popularity"], "popularity", id) ?? 0
        previousPopularity = try Self.number(fields["popularity_previous"], "popularity_previous", id) ?? 0
        replenishDays = try Self.number(fields["replenish_days"], "replenish_days", id)
        if let d = replenishDays, d <= 0 { throw CatalogError("item \"\(id)\": \"replenish_days\" must be above 0") }
        complements = try Self.list(fields["complements"], "complements", id)
        var normalized = fields
        normalized["id"] = .string(id)
        self.fields = normalized
    }

    private static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return nil
        }
    }

    private static func number(_ v: Value?, _ key: String, _ id: String) throws(CatalogError) -> Double? {
        switch v {
        case nil, .null?: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)? where d.isFinite: return d
        default: throw CatalogError("item \"\(id)\": \"\(key)\" must be a number")
        }
    }

    private static func list(_ v: Value?, _ key: String, _ id: String) throws(CatalogError) -> [String] {
        switch v {
        case nil, .null?: return []
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard let s = text(item) else { throw CatalogError("item \"\(id)\": \"\(key)\" must be a list of names") }
                out.append(s)
            }
            return out
        default: throw CatalogError("item \"\(id)\": \"\(key)\" must be a list")
        }
    }

    /// `yyyy-MM-dd` as midnight UTC.
    static func day(_ text: String) -> Date? {
        guard case .localDate? = Schedule.bound(text) else { return nil }
        return Timestamp.parse(text + "T00:00:00Z")
    }
}

public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The items recommendations choose from, indexed by id, category and tag.
public struct Catalog: Sendable {
    public let items: [CatalogItem]
    let position: [String: Int]
    /// Item positions per category and per tag, in catalog order.
    let byCategory: [String: [Int]]
    let byTag: [String: [Int]]

    /// - Throws: ``CatalogError`` on a repeated id.
    public init(items: [CatalogItem]) throws(CatalogError) {
        self.items = items
        var position: [String: Int] = [:]
        var byCategory: [String: [Int]] = [:]
        var byTag: [String: [Int]] = [:]
        for (i, item) in items.enumerated() {
            guard position.updateValue(i, forKey: item.id) == nil else { throw CatalogError("item id \"\(item.id)\" is used twice") }
            if let c = item.category { byCategory[c, default: []].append(i) }
            for tag in Set(item.tags) { byTag[tag, default: []].append(i) }
        }
        self.position = position
        self.byCategory = byCategory
        self.byTag = byTag
    }

    public subscript(id: String) -> CatalogItem? { position[id].map { items[$0] } }

    /// Where the item with `id` is in ``items``.
    public func index(of id: String) -> Int? { position[id] }

    /// The fields recommendations choose items by: a catalog in another language (`catalog.fr.csv`) may not change
    /// them, since what a reader is recommended does not depend on the language they read it in.
    public static let rankingFields: Set<String> = [
        "id", "category", "tags", "price", "stock", "created_at", "popularity", "popularity_previous", "replenish_days", "complements",
    ]

    /// Every item's fields with `overlays` laid over them in turn, field by field (the most general language first,
    /// the reader's own last): what a template sees of the catalog in one language. An overlay is keyed by item id.
    public func fields(overlaidBy overlays: [[String: LiquidObject]]) -> [LiquidObject] {
        items.map { item in
            var fields = item.fields
            for overlay in overlays {
                guard let own = overlay[item.id] else { continue }
                for (key, value) in own.pairs where !Self.rankingFields.contains(key) { fields[key] = value }
            }
            return fields
        }
    }

    public var categories: [String] { byCategory.keys.sorted() }
}
