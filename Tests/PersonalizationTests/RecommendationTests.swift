import Foundation
import Liquid
import Testing
@testable import Personalization

@Suite struct RecommendationTests {
    static let now = World.at("2026-06-10T12:00:00Z")

    static func item(_ id: String, _ category: String, popularity: Int = 0, previous: Int = 0, price: Double = 10,
                     stock: Int = 5, tags: [String] = [], created: String? = nil, replenish: Int? = nil,
                     complements: [String] = []) -> CatalogItem
    {
        var f = LiquidObject()
        f["id"] = .string(id)
        f["category"] = .string(category)
        f["popularity"] = .int(popularity)
        f["popularity_previous"] = .int(previous)
        f["price"] = .double(price)
        f["stock"] = .int(stock)
        f["tags"] = .array(tags.map { .string($0) })
        if let created { f["created_at"] = .string(created) }
        if let replenish { f["replenish_days"] = .int(replenish) }
        f["complements"] = .array(complements.map { .string($0) })
        return try! CatalogItem(fields: f)
    }

    static let catalog = try! Catalog(items: [
        item("razor", "shaving", popularity: 90, previous: 100, price: 40, tags: ["steel"], complements: ["blades", "foam", "mug"]),
        item("blades", "shaving", popularity: 80, previous: 20, price: 12, tags: ["steel", "refill"], replenish: 30),
        item("foam", "shaving", popularity: 70, previous: 70, price: 6, tags: ["refill"], replenish: 45),
        item("brush", "shaving", popularity: 60, previous: 10, price: 25, tags: ["steel"]),
        item("cream", "skin", popularity: 95, previous: 50, price: 30, tags: ["refill"], created: "2026-06-01", replenish: 60),
        item("serum", "skin", popularity: 50, previous: 5, price: 45, stock: 0, created: "2026-06-08"),
        item("mug", "home", popularity: 99, previous: 99, price: 8, created: "2026-01-01"),
        item("towel", "home", popularity: 40, previous: 30, price: 15, created: "2026-05-20"),
    ])

    static func user(_ events: [Event], traits: LiquidObject = LiquidObject()) -> UserMoment {
        UserMoment(profile: Profile(id: "u", traits: traits, events: events), now: now, stageRules: World.stages)
    }

    static func event(_ name: String, _ iso: String, _ properties: [(String, Value)]) -> Event {
        Event(name: name, time: World.at(iso), properties: LiquidObject(properties))
    }

    static let shopper = user([
        event("product_viewed", "2026-06-01T10:00:00Z", [("item_id", "cream")]),
        event("product_viewed", "2026-06-05T10:00:00Z", [("item_id", "brush")]),
        event("product_viewed", "2026-06-06T10:00:00Z", [("item_id", "razor")]),
        event("product_viewed", "2026-06-07T10:00:00Z", [("item_id", "foam")]),
        event("purchase", "2026-05-08T10:00:00Z", [("items", ["blades"]), ("total", 12)]),
        event("purchase", "2026-06-09T10:00:00Z", [("items", ["razor"]), ("total", 40)]),
    ], traits: LiquidObject([("cart", ["items": [["id": "mug"]]])]))

    static func ids(_ rule: RecommendationRule, _ user: UserMoment = shopper, context: LiquidObject = LiquidObject()) -> [String] {
        Recommender(catalog: catalog, rules: [rule]).recommend(rule.name, for: user, context: context)!.map(\.id)
    }

    static func rule(_ strategy: RecommendationRule.Strategy, limit: Int = 3, exclude: [RecommendationRule.Exclusion] = [],
                     filter: AudienceCondition? = nil) -> RecommendationRule
    {
        RecommendationRule(name: "r", strategy: strategy, filter: filter, exclusions: exclude, limit: limit)
    }

    @Test(arguments: [
        ("popular: by popularity", rule(.popular), ["mug", "cream", "razor"]),
        ("trending: by growth, shrinking items left out", rule(.trending, limit: 4), ["serum", "brush", "blades", "cream"]),
        ("recently viewed: latest first", rule(.recentlyViewed), ["foam", "razor", "brush"]),
        ("affinity: the most viewed category first", rule(.affinity, limit: 4), ["razor", "blades", "foam", "brush"]),
        ("cross-sell: complements of the last purchase, in order", rule(.crossSell), ["blades", "foam", "mug"]),
        ("replenishment: bought 33 days ago, 30-day cycle", rule(.replenishment), ["blades"]),
        ("new arrivals: within 30 days, newest first", rule(.newArrivals), ["serum", "cream", "towel"]),
        // Last viewed: foam (shaving, refill, 6). Blades share both and are close in price.
        ("similar: same category and tags as the last viewed", rule(.similar), ["blades", "brush", "cream"]),
    ] as [(String, RecommendationRule, [String])])
    func eachStrategy(_ name: String, _ rule: RecommendationRule, _ expected: [String]) {
        #expect(Self.ids(rule) == expected, "\(name)")
    }

    @Test func filtersExclusionsBoostsDiversityAndLimit() {
        let inStock = AudienceCondition(["stock": ["$gt": 0]])
        #expect(Self.ids(Self.rule(.newArrivals, filter: inStock)) == ["cream", "towel"])
        #expect(Self.ids(Self.rule(.popular, exclude: [.purchased, .inCart])) == ["cream", "foam", "brush"])
        #expect(Self.ids(Self.rule(.popular, exclude: [.viewed])) == ["mug", "blades", "serum"])
        #expect(Self.ids(Self.rule(.popular, exclude: [.shown]), context: LiquidObject([("shown_items", ["mug", "cream"])]))
            == ["razor", "blades", "foam"])
        var boosted = Self.rule(.popular)
        boosted.boosts = [(AudienceCondition(["tags": ["$in": ["refill"]]]), 2)]
        #expect(Self.ids(boosted) == ["cream", "blades", "foam"])
        var diverse = Self.rule(.popular, limit: 4)
        diverse.maxPerCategory = 1
        #expect(Self.ids(diverse) == ["mug", "cream", "razor"])
        #expect(Self.ids(Self.rule(.popular, limit: 2)) == ["mug", "cream"])
    }

    @Test func similarFollowsTheItemInView() {
        #expect(Self.ids(Self.rule(.similar, limit: 2), context: LiquidObject([("item_id", "cream")])) == ["serum", "foam"])
    }

    @Test func aPurchaseSinceStopsReplenishment() {
        var events = Self.shopper.profile.events
        events.append(Self.event("purchase", "2026-06-09T11:00:00Z", [("item_id", "blades")]))
        #expect(Self.ids(Self.rule(.replenishment), Self.user(events)) == [])
    }

    @Test func aNewUserGetsPopularButNoPersonalLists() {
        let stranger = Self.user([])
        #expect(Self.ids(Self.rule(.popular), stranger) == ["mug", "cream", "razor"])
        for strategy in [RecommendationRule.Strategy.recentlyViewed, .affinity, .crossSell, .replenishment, .similar] {
            #expect(Self.ids(Self.rule(strategy), stranger).isEmpty, "\(strategy)")
        }
    }

    @Test func theSameInputsGiveTheSameList() {
        let tied = try! Catalog(items: (0..<20).map { Self.item("i\(19 - $0)", "c\($0 % 3)", popularity: 5) })
        let rule = RecommendationRule(name: "r", strategy: .popular, maxPerCategory: 2, limit: 5)
        let first = Recommender(catalog: tied, rules: [rule]).recommend("r", for: Self.shopper)!.map(\.id)
        #expect(first == ["i0", "i1", "i10", "i11", "i12"])
        for _ in 0..<5 {
            let again = Recommender(catalog: try! Catalog(items: tied.items.shuffled()), rules: [rule]).recommend("r", for: Self.shopper)!
            #expect(again.map(\.id) == first)
        }
    }

    @Test func templatesSeeRulesAsLists() {
        let value = Recommender(catalog: Self.catalog, rules: [Self.rule(.popular, limit: 1)]).value(rules: ["r", "missing"], for: Self.shopper)
        #expect(JSON.serialize(value).hasPrefix(#"{"r":[{"id":"mug""#))
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-06-10T12:00:00Z", 1_781_092_800.0), ("2026-06-10T14:00:00+02:00", 1_781_092_800.0),
        ("2026-06-10 12:00:00.250Z", 1_781_092_800.25), ("1969-12-31T23:59:59Z", -1.0), ("2024-02-29T00:00:00z", 1_709_164_800.0),
    ])
    func parses(_ text: String, _ seconds: Double) {
        #expect(Timestamp.parse(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: ["2026-02-29T00:00:00Z", "2026-06-10", "2026-06-10T12:00:00", "2026-13-01T00:00:00Z", "2026-06-10T24:00:00Z",
                      "2026-06-10T12:00:00+2", "x2026-06-10T12:00:00Z", "2026-06-10T12:00:00Z "])
    func refuses(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func formatsAndAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &rng)))
            let text = Timestamp.format(date)
            #expect(text == formatter.string(from: date))
            #expect(Timestamp.parse(text) == date)
        }
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0.5)) == "1970-01-01T00:00:00.500Z")
        // Milliseconds: the whole second's text with them before the Z; 999.6 ms rounds up into the next second.
        for _ in 0..<500 {
            let whole = Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &rng))
            let ms = Int.random(in: 1...999, using: &rng)
            let plain = formatter.string(from: Date(timeIntervalSince1970: whole))
            #expect(Timestamp.format(Date(timeIntervalSince1970: whole + Double(ms) / 1000))
                == plain.dropLast() + "." + String(format: "%03d", ms) + "Z")
        }
        #expect(Timestamp.format(Date(timeIntervalSince1970: 59.9996)) == "1970-01-01T00:01:00Z")
        // Years past four digits keep the general form.
        #expect(Timestamp.format(Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00Z")
    }
}

@Suite struct CrossSellAnchorTests {
    @Test func crossSellFromTheCartWhenTheRuleSaysSo() throws {
        typealias R = RecommendationTests
        var r = R.rule(.crossSell, exclude: [.inCart])
        r.anchor = .cart
        let traits = try JSON.parse(#"{"cart": {"items": [{"id": "razor"}, {"id": "foam"}]}}"#).objectValue!
        #expect(R.ids(r, R.user([], traits: traits)) == ["blades", "mug"])
        // From the context's cart too (a page sends what is in it), and nothing without a cart.
        let context = try JSON.parse(#"{"cart_items": ["razor"]}"#).objectValue!
        #expect(R.ids(r, R.user([]), context: context) == ["blades", "foam", "mug"])
        #expect(R.ids(r, R.user([])).isEmpty)
    }
}

@Suite struct BirthdayFactTests {
    static func days(_ birthday: String, at iso: String, zone: String = "UTC") -> Int? {
        Facts(profile: Profile(id: "u", traits: LiquidObject([("birthday", .string(birthday))]), timeZone: TimeZone(identifier: zone)!),
              now: World.at(iso)).daysUntilBirthday
    }

    @Test func daysUntilTheNextBirthdayInTheUsersZone() {
        #expect(Self.days("1988-11-23", at: "2026-11-23T12:00:00Z") == 0)
        #expect(Self.days("11-24", at: "2026-11-23T12:00:00Z") == 1)
        #expect(Self.days("1988-11-22", at: "2026-11-23T12:00:00Z") == 364)
        // 22:00 UTC on the 22nd is already the 23rd in Dubai.
        #expect(Self.days("1988-11-23", at: "2026-11-22T22:00:00Z", zone: "Asia/Dubai") == 0)
        #expect(Self.days("1988-11-23", at: "2026-11-22T22:00:00Z") == 1)
        // 29 February is kept on 28 February in other years; nonsense is no birthday.
        #expect(Self.days("2000-02-29", at: "2027-02-28T09:00:00Z") == 0)
        #expect(Self.days("2000-13-40", at: "2027-02-28T09:00:00Z") == nil)
    }
}
