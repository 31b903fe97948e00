import Foundation
import Liquid
import Testing
@testable import Personalization

/// A deciding engine works some things out once per decision instead of once per candidate (a trigger's firing,
/// an audience test several campaigns share, the user's day and week), and a profile keeps its events grouped by
/// name in flat arrays. These tests hold those shortcuts to the plain answer: counting events one by one, and each
/// campaign decided alone.
@Suite struct SharedWorkTests {
    static let now = Timestamp.parse("2026-06-10T14:00:00Z")!
    static let names = ["page_view", "login", "cart_abandoned", "purchase", "search", "invite_sent"]

    static func profile(_ id: String, events count: Int, _ rng: inout SplitMix64) -> Profile {
        var events: [Event] = []
        for _ in 0..<count {
            // Some in the future of `now`, some exactly on a window's edge, most in the last 90 days.
            let age: Double
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: age = -Double(Int.random(in: 1...86_400, using: &rng))
            case 1: age = [0, 86_400, 7 * 86_400, 30 * 86_400].randomElement(using: &rng)!
            default: age = Double(Int.random(in: 0..<(90 * 86_400), using: &rng))
            }
            let name = names.randomElement(using: &rng)!
            var properties = LiquidObject()
            if name == "cart_abandoned" { properties["value"] = .int(Int.random(in: 10...300, using: &rng)) }
            if name == "purchase" { properties["total"] = .double(Double(Int.random(in: 100...5_000, using: &rng)) / 10) }
            events.append(Event(name: name, time: now.addingTimeInterval(-age), properties: properties))
        }
        let traits = LiquidObject([("plan", ["free", "trial", "pro"].randomElement(using: &rng)!),
                                   ("country", ["FR", "US", "JP"].randomElement(using: &rng)!)])
        return Profile(id: id, traits: traits, timeZone: TimeZone(identifier: ["UTC", "Europe/Paris", "Asia/Tokyo"][Int.random(in: 0..<3, using: &rng)])!,
                       events: events)
    }

    @Test func windowCountsEqualCountingEachEvent() {
        var rng = SplitMix64(seed: 7)
        for u in 0..<60 {
            let profile = Self.profile("u\(u)", events: Int.random(in: 0...400, using: &rng), &rng)
            for shift: Double in [0, -86_400, 3_600, 40 * 86_400] {
                let now = Self.now.addingTimeInterval(shift)
                let facts = Facts(profile: profile, now: now)
                var expected: [String: WindowCounts] = [:]
                for name in Set(profile.events.map(\.name)) {
                    let times = profile.events.filter { $0.name == name && $0.time <= now }.map(\.time)
                    guard !times.isEmpty else { continue }
                    func within(_ seconds: Double) -> Int { times.filter { (t: Date) in t > now.addingTimeInterval(-seconds) }.count }
                    expected[name] = WindowCounts(within(86_400), within(7 * 86_400), within(30 * 86_400))
                }
                #expect(facts.eventCounts == expected, "user u\(u) at \(Timestamp.format(now))")
                let orders = profile.events.filter { Facts.purchaseEvents.contains($0.name) && $0.time <= now }
                #expect(facts.orderCount == orders.count)
            }
        }
    }

    @Test func triggerLookupsFollowTheNameIndex() {
        var rng = SplitMix64(seed: 11)
        for u in 0..<40 {
            let profile = Self.profile("u\(u)", events: Int.random(in: 0...200, using: &rng), &rng)
            for name in Self.names {
                let mine = profile.events.filter { $0.name == name && $0.time <= Self.now }
                #expect(profile.events(named: name, atOrBefore: Self.now).map(\.time) == mine.map(\.time))
                #expect(profile.lastEventTime(named: name, atOrBefore: Self.now, matching: nil) == mine.last?.time)
                let big = AudienceCondition(["value": ["$gt": 100]])
                #expect(profile.lastEventTime(named: name, atOrBefore: Self.now, matching: big)
                    == mine.last { big.matches(.object($0.properties)) }?.time)
                let after = Self.now.addingTimeInterval(-5 * 86_400)
                #expect(profile.firstEventTime(named: name, after: after, atOrBefore: Self.now)
                    == mine.first { $0.time > after }?.time)
            }
        }
    }

    /// Campaigns that share triggers (with different delays and expiries) and audience tests, decided together with
    /// every candidate traced, give each candidate the outcome it gets decided alone.
    @Test func sharedTriggersAndTestsGiveEachCampaignItsOwnOutcome() {
        var rng = SplitMix64(seed: 23)
        var campaigns: [Campaign] = []
        let audiences: [Value] = [
            ["user.plan": ["$in": ["free", "trial"]]],
            ["user.plan": ["$in": ["free", "trial"]], "facts.event_counts.login.7d": ["$gte": 2]],
            ["facts.event_counts.login.7d": ["$gte": 2]],
            ["$or": [["user.country": "FR"], ["facts.order_count": ["$gte": 3]]]],
            ["$not": ["user.plan": "pro"]],
            ["facts.event_counts.page_view.30d": ["$gte": 10], "user.country": ["$ne": "JP"]],
        ]
        for i in 0..<40 {
            var c = Campaign(id: String(format: "c-%02d", i), template: "banners/c\(i)", channel: .banner,
                             placement: "home-hero", priority: Int.random(in: 0..<5, using: &rng))
            if Bool.random(using: &rng) { c.audience = AudienceCondition(audiences.randomElement(using: &rng)!) }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let condition = Bool.random(using: &rng) ? AudienceCondition(["value": ["$gt": 50]]) : nil
                c.trigger = Trigger(event: "cart_abandoned", condition: condition,
                                    delay: Double(Int.random(in: 0...4, using: &rng)) * 3_600,
                                    exceptions: Bool.random(using: &rng) ? ["purchase"] : [],
                                    expiry: Double(Int.random(in: 1...10, using: &rng)) * 86_400)
            }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                c.caps = [FrequencyCap(max: Int.random(in: 1...2, using: &rng), per: Bool.random(using: &rng) ? .day : .week)]
            }
            campaigns.append(c)
        }
        let stages = StageRules(rules: [], fallback: "activation")
        let together = DecisionEngine(campaigns: campaigns, stageRules: stages)
        let alone = Dictionary(uniqueKeysWithValues: campaigns.map { ($0.id, DecisionEngine(campaigns: [$0], stageRules: stages)) })
        for u in 0..<50 {
            let profile = Self.profile("u\(u)", events: Int.random(in: 0...150, using: &rng), &rng)
            var history = InteractionHistory()
            for _ in 0..<Int.random(in: 0...20, using: &rng) {
                let c = campaigns.randomElement(using: &rng)!
                history.append(Interaction(userId: profile.id, campaign: c.id, channel: .banner,
                                           kind: Int.random(in: 0..<8, using: &rng) == 0 ? .dismiss : .impression,
                                           time: Self.now.addingTimeInterval(-Double(Int.random(in: 0..<(10 * 86_400), using: &rng)))))
            }
            let user = UserMoment(profile: profile, now: Self.now, stageRules: stages)
            let decision = together.decide(placement: "home-hero", for: user, history: history)
            for t in decision.trace {
                let own = alone[t.campaign]!.decide(placement: "home-hero", for: user, history: history).trace[0].rejection
                if case .lowerPriority? = t.rejection {
                    #expect(own == nil, "user u\(u), \(t.campaign)")
                } else {
                    #expect(own == t.rejection, "user u\(u), \(t.campaign)")
                }
            }
        }
    }

    @Test func aStringTableFindsEveryKeyAndOnlyThose() {
        let ids = (0..<300).map { "campaign-\($0)" } + ["campaign-7", "a name longer than fifteen bytes, kept out of line", "émoji 🎉"]
        let table = StringTable(ids)
        for (n, id) in ids.enumerated() where id != "campaign-7" || n == 7 { #expect(table[id] == n) }
        // A repeated key keeps its first place.
        #expect(table["campaign-7"] == 7)
        for unknown in ["", "campaign-300", "campaign-07", "Campaign-1", "ca", "émoji"] { #expect(table[unknown] == nil) }
        #expect(StringTable([])["x"] == nil)
    }

    /// Tests that only look alike are not shared: infinity is not null, NFC is not NFD (JavaScript compares code
    /// units), a trigger without a condition is not one with a condition.
    @Test func testsThatOnlyLookAlikeKeepTheirOwnAnswers() {
        let nfc = "\u{E9}", nfd = "e\u{301}"
        let audiences: [Value] = [
            ["facts.total_spent": ["$lt": .double(.infinity)]],
            ["facts.total_spent": ["$lt": .null]],
            ["user.name": ["$lt": .string(nfc)]],
            ["user.name": ["$lt": .string(nfd)]],
            ["user.total": ["$lt": .double(1e19)]],
            ["user.total": "10000000000000000000"],
        ]
        var campaigns = audiences.enumerated().map { i, a in
            var c = Campaign(id: "a\(i)", template: "banners/a\(i)", channel: .banner, placement: "home-hero", priority: 1)
            c.audience = AudienceCondition(a)
            return c
        }
        for (i, condition) in [nil, AudienceCondition(.null)].enumerated() {
            var c = Campaign(id: "t\(i)", template: "banners/t\(i)", channel: .banner, placement: "home-hero", priority: 1)
            c.trigger = Trigger(event: "login", condition: condition)
            campaigns.append(c)
        }
        let stages = StageRules(rules: [], fallback: "activation")
        let together = DecisionEngine(campaigns: campaigns, stageRules: stages)
        let profile = Profile(id: "u", traits: LiquidObject([("name", "f"), ("total", .double(1e19))]),
                              events: [Event(name: "login", time: Self.now.addingTimeInterval(-60))])
        let user = UserMoment(profile: profile, now: Self.now, stageRules: stages)
        let trace = together.decide(placement: "home-hero", for: user, history: InteractionHistory()).trace
        var passed: [String] = []
        for t in trace {
            let own = DecisionEngine(campaigns: campaigns.filter { $0.id == t.campaign }, stageRules: stages)
                .decide(placement: "home-hero", for: user, history: InteractionHistory()).trace[0].rejection
            if own == nil { passed.append(t.campaign) }
            if case .lowerPriority? = t.rejection { #expect(own == nil, "\(t.campaign)") } else { #expect(own == t.rejection, "\(t.campaign)") }
        }
        // What each one gets alone: 0 < Infinity but not < null; "f" < "é" but not < "e" + accent;
        // 1e19 < 1e19 is false but its text is "10000000000000000000"; a trigger with a condition of null never fires.
        #expect(passed.sorted() == ["a0", "a2", "a5", "t0"])
    }

    @Test func largeWholeNumbersAreWrittenAsJavaScriptWritesThem() {
        #expect(JavaScript.string(1e19) == "10000000000000000000")
        #expect(JavaScript.string(9_223_372_036_854_775_808.0) == "9223372036854776000")
        #expect(JavaScript.string(-1e20) == "-100000000000000000000")
        #expect(JavaScript.string(9.5e18) == "9500000000000000000")
        #expect(JavaScript.string(8_999_999_999_999_998_976.0) == "8999999999999999000")
        #expect(JavaScript.string(1_152_921_504_606_846_976.0) == "1152921504606847000")
        #expect(JavaScript.string(9_007_199_254_740_992.0) == "9007199254740992")
        #expect(JavaScript.string(9_007_199_254_740_991.0) == "9007199254740991")
        #expect(JavaScript.string(1e21) == "1e+21")
    }

    @Test func aStringTableFindsCanonicallyEquivalentSpellings() {
        let table = StringTable(["caf\u{E9}", "K", "login"])
        #expect(table["cafe\u{301}"] == 0)
        #expect(table["\u{212A}"] == 1)  // KELVIN SIGN is canonically K
        #expect(table["login"] == 2)
        #expect(table["cafe"] == nil)
    }
}

