import Foundation
import Liquid

/// Runs recommendation rules over a catalog. What depends on items only (filters, boosts, popularity orders) is
/// worked out once here, so a request only walks ready-made rankings past the user's exclusions.
///
/// Results are deterministic: equal scores are ordered by item id.
public struct Recommender: Sendable {
    public let catalog: Catalog
    public let rules: [String: RecommendationRule]
    private let prepared: [String: Prepared]

    /// Per rule: which items pass its filter, their boost, and rankings by popularity.
    private struct Prepared: Sendable {
        var allowed: [Bool]
        var boost: [Double]
        /// Allowed items by popularity × boost, best first.
        var popular: [Int]
        /// Allowed items that grew, by growth × boost, best first.
        var trending: [Int]
        /// Allowed items with a date, newest first.
        var newest: [Int]
        /// `popular`, split by category.
        var popularByCategory: [String: [Int]]
    }

    public init(catalog: Catalog, rules: [RecommendationRule]) {
        self.catalog = catalog
        self.rules = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var prepared: [String: Prepared] = [:]
        for rule in rules { prepared[rule.name] = Self.prepare(rule, catalog) }
        self.prepared = prepared
    }

    private static func prepare(_ rule: RecommendationRule, _ catalog: Catalog) -> Prepared {
        let items = catalog.items
        let allowed = items.map { item in rule.filter?.matches(.object(item.fields)) ?? true }
        let boost = items.map { item in
            rule.boosts.reduce(1.0) { f, b in b.when.matches(.object(item.fields)) ? f * b.factor : f }
        }
        func ranked(_ score: (Int) -> Double?) -> [Int] {
            var scored: [(Int, Double)] = []
            for i in items.indices where allowed[i] {
                if let s = score(i) { scored.append((i, s)) }
            }
            scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : items[$0.0].id < items[$1.0].id }
            return scored.map(\.0)
        }
        let popular = ranked { items[$0].popularity * boost[$0] }
        let trending = ranked { i in
            let item = items[i]
            guard item.popularity > item.previousPopularity else { return nil }
            return (item.popularity + 1) / (item.previousPopularity + 1) * boost[i]
        }
        let newest = ranked { items[$0].createdAt?.timeIntervalSince1970 }
        var byCategory: [String: [Int]] = [:]
        for i in popular { if let c = items[i].category { byCategory[c, default: []].append(i) } }
        return Prepared(allowed: allowed, boost: boost, popular: popular, trending: trending, newest: newest,
                        popularByCategory: byCategory)
    }

    /// The items rule `name` picks for the user; nil when there is no such rule.
    public func recommend(_ name: String, for user: UserMoment, context: LiquidObject = LiquidObject()) -> [CatalogItem]? {
        guard let rule = rules[name], let p = prepared[name] else { return nil }
        var signals = UserSignals(profile: user.profile, now: user.now, catalog: catalog, viewEvents: rule.viewEvents)
        var excluded = Set<Int>()
        for exclusion in rule.exclusions {
            switch exclusion {
            case .purchased: excluded.formUnion(signals.purchases.last.keys)
            case .inCart: excluded.formUnion(signals.cart(context: context))
            case .shown: excluded.formUnion(signals.shown(context: context))
            case .viewed: excluded.formUnion(signals.viewed)
            }
        }
        var picker = Picker(catalog: catalog, excluded: excluded, maxPerCategory: rule.maxPerCategory, limit: rule.limit)
        let items = catalog.items
        let now = user.now
        let day = 86_400.0

        switch rule.strategy {
        case .popular:
            picker.take(p.popular)
        case .trending:
            picker.take(p.trending)
        case .newArrivals:
            let since = now.addingTimeInterval(-rule.days * day)
            var recent: [(Int, Double)] = []
            for i in p.newest {
                guard let created = items[i].createdAt, created >= since else { break }
                if created > now { continue }
                let age = now.timeIntervalSince(created) / day
                recent.append((i, p.boost[i] / (1 + age)))
            }
            picker.take(Self.sorted(recent, items))
        case .recentlyViewed:
            picker.take(signals.viewed.filter { p.allowed[$0] })
        case .affinity:
            let since = now.addingTimeInterval(-rule.days * day)
            var weight: [String: Double] = [:]
            for (i, time) in signals.viewedWithTimes where time >= since {
                if let c = items[i].category { weight[c, default: 0] += 1 }
            }
            let top = weight.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(rule.topCategories)
            let total = top.reduce(0) { $0 + $1.value }
            // Merge the categories' popularity lists, each item scored by its category's share of the views.
            var lists = top.map { (share: $0.value / total, list: p.popularByCategory[$0.key] ?? [], next: 0) }
            while !picker.isFull {
                var best: (list: Int, score: Double, item: Int)?
                for (k, l) in lists.enumerated() where l.next < l.list.count {
                    let i = l.list[l.next]
                    let s = l.share * (1 + log1p(items[i].popularity)) * p.boost[i]
                    if best == nil || s > best!.score || (s == best!.score && items[i].id < items[best!.item].id) {
                        best = (k, s, i)
                    }
                }
                guard let best else { break }
                lists[best.list].next += 1
                picker.offer(best.item)
            }
        case .crossSell:
            var scored: [Int: Double] = [:]
            let anchors = rule.anchor == .cart ? signals.cart(context: context) : signals.purchases.latestItems
            for source in anchors {
                for (rank, id) in items[source].complements.enumerated() {
                    guard let i = catalog.position[id], p.allowed[i] else { continue }
                    scored[i] = max(scored[i] ?? 0, p.boost[i] / Double(rank + 1))
                }
            }
            picker.take(Self.sorted(scored.map { ($0.key, $0.value) }, items))
        case .replenishment:
            var due: [(Int, Double)] = []
            for (i, bought) in signals.purchases.last {
                guard p.allowed[i], let cycle = items[i].replenishDays else { continue }
                let dueAt = bought.addingTimeInterval((cycle - rule.leadDays) * day)
                guard now >= dueAt else { continue }
                // The closer to running out (or the longer out), the higher.
                due.append((i, (1 + now.timeIntervalSince(dueAt) / day) * p.boost[i]))
            }
            picker.take(Self.sorted(due, items))
        case .similar:
            let anchorId = context["item_id"]?.stringValue ?? signals.viewed.first.map { items[$0].id }
            guard let anchorId, let a = catalog.position[anchorId] else { break }
            let anchor = items[a]
            // Candidates: the anchor's category, and items sharing a tag with it (up to 500 per tag).
            var seen = [Bool](repeating: false, count: items.count)
            seen[a] = true
            var candidates: [Int] = []
            for i in anchor.category.flatMap({ catalog.byCategory[$0] }) ?? [] where !seen[i] {
                seen[i] = true
                candidates.append(i)
            }
            for tag in anchor.tags {
                for i in catalog.byTag[tag]?.prefix(500) ?? [] where !seen[i] {
                    seen[i] = true
                    candidates.append(i)
                }
            }
            let anchorTags = Self.distinct(anchor.tags)
            var scored: [(Int, Double)] = []
            for i in candidates where p.allowed[i] {
                let item = items[i]
                var s = item.category == anchor.category && anchor.category != nil ? 1.0 : 0
                // Jaccard similarity of the tag sets (tag lists are short: a scan beats building sets).
                let tags = Self.distinct(item.tags)
                let shared = tags.reduce(0) { anchorTags.contains($1) ? $0 + 1 : $0 }
                let union = tags.count + anchorTags.count - shared
                if union > 0 { s += Double(shared) / Double(union) }
                if let x = anchor.price, let y = item.price, max(x, y) > 0 { s += 1 - abs(x - y) / max(x, y) }
                scored.append((i, s * p.boost[i]))
            }
            picker.take(Self.sorted(scored, items))
        }
        return picker.chosen.map { items[$0] }
    }

    /// Every rule's items as template data: `recommendations.<rule>` is a list of item objects, with the fields of
    /// `localized` (every item's fields in the reader's language, by position in the catalog) when given.
    public func value(rules names: some Sequence<String>, for user: UserMoment, context: LiquidObject = LiquidObject(),
                      localized: [LiquidObject]? = nil) -> Value
    {
        var out = LiquidObject()
        for name in names {
            guard let items = recommend(name, for: user, context: context) else { continue }
            if let localized {
                out[name] = .array(items.map { item in .object(catalog.index(of: item.id).map { localized[$0] } ?? item.fields) })
            } else {
                out[name] = .array(items.map { .object($0.fields) })
            }
        }
        return .object(out)
    }

    /// The list without repeats, in order.
    private static func distinct(_ list: [String]) -> [String] {
        var out: [String] = []
        for x in list where !out.contains(x) { out.append(x) }
        return out
    }

    private static func sorted(_ scored: [(Int, Double)], _ items: [CatalogItem]) -> [Int] {
        scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : items[$0.0].id < items[$1.0].id }.map(\.0)
    }
}

/// Takes items in rank order past exclusions and the per-category limit, up to the limit.
private struct Picker {
    let catalog: Catalog
    let excluded: Set<Int>
    let maxPerCategory: Int?
    let limit: Int
    var chosen: [Int] = []
    var perCategory: [String: Int] = [:]
    var seen = Set<Int>()

    init(catalog: Catalog, excluded: Set<Int>, maxPerCategory: Int?, limit: Int) {
        self.catalog = catalog
        self.excluded = excluded
        self.maxPerCategory = maxPerCategory
        self.limit = limit
    }

    var isFull: Bool { chosen.count >= limit }

    mutating func take(_ ranked: some Sequence<Int>) {
        for i in ranked {
            if isFull { return }
            offer(i)
        }
    }

    mutating func offer(_ i: Int) {
        guard !isFull, !excluded.contains(i), seen.insert(i).inserted else { return }
        if let maxPerCategory, let c = catalog.items[i].category {
            guard perCategory[c, default: 0] < maxPerCategory else { return }
            perCategory[c, default: 0] += 1
        }
        chosen.append(i)
    }
}

/// What a user's events say about items: views, purchases, the cart, what was shown. Each part is read from the
/// events the first time a strategy or exclusion asks for it.
private struct UserSignals {
    let profile: Profile
    let now: Date
    let catalog: Catalog
    let viewEvents: [String]

    init(profile: Profile, now: Date, catalog: Catalog, viewEvents: [String]) {
        self.profile = profile
        self.now = now
        self.catalog = catalog
        self.viewEvents = viewEvents
    }

    /// Viewed items, latest view first, each once; with the time of that view.
    lazy var viewedWithTimes: [(Int, Date)] = {
        var views: [(Int, Date)] = []
        for name in viewEvents {
            for e in profile.events(named: name, atOrBefore: now) {
                for id in Self.itemIds(e.properties) { if let i = catalog.position[id] { views.append((i, e.time)) } }
            }
        }
        views.sort { $0.1 > $1.1 }
        var seen = Set<Int>()
        return views.filter { seen.insert($0.0).inserted }
    }()

    lazy var viewed: [Int] = viewedWithTimes.map(\.0)

    /// Each purchased item's latest purchase, and the items of the latest purchase.
    lazy var purchases: (last: [Int: Date], latestItems: [Int]) = {
        var last: [Int: Date] = [:]
        var latest: Event?
        for name in Facts.purchaseEvents {
            for e in profile.events(named: name, atOrBefore: now) {
                for id in Self.itemIds(e.properties) {
                    if let i = catalog.position[id], last[i].map({ e.time > $0 }) ?? true { last[i] = e.time }
                }
                if latest.map({ e.time >= $0.time }) ?? true { latest = e }
            }
        }
        return (last, latest.map { Self.itemIds($0.properties).compactMap { catalog.position[$0] } } ?? [])
    }()

    func cart(context: LiquidObject) -> [Int] {
        var ids: [String] = []
        if let items = profile.traits["cart"]?.objectValue?["items"] ?? profile.traits["cart_items"] {
            ids += Self.ids(in: items)
        }
        if let items = context["cart_items"] { ids += Self.ids(in: items) }
        return ids.compactMap { catalog.position[$0] }
    }

    func shown(context: LiquidObject) -> [Int] {
        var ids = context["shown_items"].map(Self.ids(in:)) ?? []
        for e in profile.events(named: "recommendations_shown", atOrBefore: now) { ids += Self.itemIds(e.properties) }
        return ids.compactMap { catalog.position[$0] }
    }

    /// `item_id`, `product_id`, or `items` (ids or objects with one of those or `id`).
    static func itemIds(_ properties: LiquidObject) -> [String] {
        if let single = (properties["item_id"] ?? properties["product_id"]).flatMap(text) { return [single] }
        return properties["items"].map(ids(in:)) ?? []
    }

    static func ids(in list: Value) -> [String] {
        guard case .array(let items) = list else { return [] }
        return items.compactMap { item in
            if let s = text(item) { return s }
            guard case .object(let o) = item else { return nil }
            return (o["id"] ?? o["item_id"] ?? o["product_id"]).flatMap(text)
        }
    }

    private static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return nil
        }
    }
}
