import Foundation
import Liquid
import Localization
import Testing
@testable import Personalization

/// A small world for decisions: one user, some events, a ledger history, a moment.
struct World {
    static func at(_ iso: String) -> Date { Timestamp.parse(iso)! }

    static let stages = StageRules(rules: [
        StageRule(stage: "reengagement", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 30]])),
        StageRule(stage: "revenue", when: AudienceCondition(["user.plan": "trial"])),
    ], fallback: "activation")

    var zone = "UTC"
    var traits = LiquidObject([("plan", "trial")])
    var events: [Event] = []
    var history: [Interaction] = []
    var now = World.at("2026-06-10T12:00:00Z")
    var userId = "user-42"
    var channelCaps: [FrequencyCap] = []

    func decide(_ campaigns: [Campaign], placement: String = "home-hero") -> Decision {
        let engine = DecisionEngine(campaigns: campaigns, stageRules: Self.stages, channelCaps: channelCaps)
        let profile = Profile(id: userId, traits: traits, timeZone: TimeZone(identifier: zone)!, events: events)
        let user = UserMoment(profile: profile, now: now, stageRules: Self.stages)
        return engine.decide(placement: placement, for: user, history: InteractionHistory(history))
    }

    func shown(_ campaign: String, at iso: String, channel: Channel = .banner) -> Interaction {
        Interaction(userId: userId, campaign: campaign, channel: channel, kind: .impression, time: Self.at(iso))
    }

    func dismissed(_ campaign: String, at iso: String) -> Interaction {
        Interaction(userId: userId, campaign: campaign, channel: .banner, kind: .dismiss, time: Self.at(iso))
    }
}

func banner(_ id: String, priority: Int = 0, _ configure: (inout Campaign) -> Void = { _ in }) -> Campaign {
    var c = Campaign(id: id, template: "banners/\(id)", channel: .banner, placement: "home-hero", priority: priority)
    configure(&c)
    return c
}

@Suite struct DecisionTests {
    /// What the single candidate's trace says, or "chosen".
    static func outcome(_ campaign: Campaign, in world: World) -> String {
        let d = world.decide([campaign])
        return d.trace.first?.rejection?.code ?? (d.selection == nil ? "none" : "chosen")
    }

    static let cartTrigger = Trigger(event: "cart_abandoned", condition: AudienceCondition(["value": ["$gt": 100]]),
                                     delay: 30 * 60, exceptions: ["purchase"], expiry: 3 * 86_400)

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let campaign: Campaign
        let world: @Sendable () -> World
        let expected: String
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "no rules: chosen", campaign: banner("a"), world: { World() }, expected: "chosen"),
        Row(name: "before the start instant", campaign: banner("a") {
            $0.schedule = Schedule(start: .instant(World.at("2026-06-10T12:00:01Z")))
        }, world: { World() }, expected: "schedule"),
        Row(name: "at the start instant", campaign: banner("a") {
            $0.schedule = Schedule(start: .instant(World.at("2026-06-10T12:00:00Z")))
        }, world: { World() }, expected: "chosen"),
        Row(name: "at the end instant (excluded)", campaign: banner("a") {
            $0.schedule = Schedule(end: .instant(World.at("2026-06-10T12:00:00Z")))
        }, world: { World() }, expected: "schedule"),
        Row(name: "end date includes the user's whole day (Tokyo is already on the 11th)", campaign: banner("a") {
            $0.schedule = Schedule(end: .localDate("2026-06-10"))
        }, world: { var w = World(); w.zone = "Asia/Tokyo"; w.now = World.at("2026-06-10T15:00:00Z"); return w }, expected: "schedule"),
        Row(name: "end date, user still on the 10th in Los Angeles", campaign: banner("a") {
            $0.schedule = Schedule(end: .localDate("2026-06-10"))
        }, world: { var w = World(); w.zone = "America/Los_Angeles"; w.now = World.at("2026-06-10T15:00:00Z"); return w }, expected: "chosen"),
        Row(name: "wrong stage", campaign: banner("a") { $0.stages = ["reengagement"] },
            world: { World() }, expected: "stage"),
        Row(name: "right stage", campaign: banner("a") { $0.stages = ["revenue", "loyalty"] },
            world: { World() }, expected: "chosen"),
        Row(name: "audience", campaign: banner("a") { $0.audience = AudienceCondition(["user.plan": "pro"]) },
            world: { World() }, expected: "audience"),
        Row(name: "audience on facts", campaign: banner("a") {
            $0.audience = AudienceCondition(["facts.event_counts.page_view.7d": ["$gte": 2]])
        }, world: {
            var w = World()
            w.events = [Event(name: "page_view", time: World.at("2026-06-09T10:00:00Z")),
                        Event(name: "page_view", time: World.at("2026-06-10T10:00:00Z"))]
            return w
        }, expected: "chosen"),
        Row(name: "trigger never happened", campaign: banner("a") { $0.trigger = cartTrigger },
            world: { World() }, expected: "trigger_missing"),
        Row(name: "trigger event below the property condition", campaign: banner("a") { $0.trigger = cartTrigger },
            world: { var w = World(); w.events = [cart(80, "2026-06-10T10:00:00Z")]; return w }, expected: "trigger_missing"),
        Row(name: "trigger not due (29 minutes)", campaign: banner("a") { $0.trigger = cartTrigger },
            world: { var w = World(); w.events = [cart(120, "2026-06-10T11:31:00Z")]; return w }, expected: "trigger_not_due"),
        Row(name: "trigger due (exactly 30 minutes)", campaign: banner("a") { $0.trigger = cartTrigger },
            world: { var w = World(); w.events = [cart(120, "2026-06-10T11:30:00Z")]; return w }, expected: "chosen"),
        Row(name: "trigger cancelled by a purchase since", campaign: banner("a") { $0.trigger = cartTrigger },
            world: {
                var w = World()
                w.events = [cart(120, "2026-06-10T10:00:00Z"), Event(name: "purchase", time: World.at("2026-06-10T10:20:00Z"))]
                return w
            }, expected: "trigger_cancelled"),
        Row(name: "a purchase before the cart does not cancel", campaign: banner("a") { $0.trigger = cartTrigger },
            world: {
                var w = World()
                w.events = [Event(name: "purchase", time: World.at("2026-06-10T09:00:00Z")), cart(120, "2026-06-10T10:00:00Z")]
                return w
            }, expected: "chosen"),
        Row(name: "trigger expired (exactly 3 days)", campaign: banner("a") { $0.trigger = cartTrigger },
            world: { var w = World(); w.events = [cart(120, "2026-06-07T12:00:00Z")]; return w }, expected: "trigger_expired"),
        Row(name: "already shown for this trigger", campaign: banner("a") { $0.trigger = cartTrigger },
            world: {
                var w = World()
                w.events = [cart(120, "2026-06-10T10:00:00Z")]
                w.history = [w.shown("a", at: "2026-06-10T10:45:00Z")]
                return w
            }, expected: "trigger_already_sent"),
        Row(name: "a new trigger after an earlier send", campaign: banner("a") { $0.trigger = cartTrigger },
            world: {
                var w = World()
                w.events = [cart(120, "2026-06-08T10:00:00Z"), cart(150, "2026-06-10T10:00:00Z")]
                w.history = [w.shown("a", at: "2026-06-08T10:45:00Z")]
                return w
            }, expected: "chosen"),
        Row(name: "outside the time window", campaign: banner("a") { $0.window = TimeWindow(from: 9 * 60, to: 11 * 60) },
            world: { World() }, expected: "time_window"),
        Row(name: "inside the window on the user's clock (Paris 14:00)", campaign: banner("a") {
            $0.window = TimeWindow(from: 13 * 60, to: 15 * 60)
        }, world: { var w = World(); w.zone = "Europe/Paris"; return w }, expected: "chosen"),
        Row(name: "window on weekdays only, a Wednesday", campaign: banner("a") {
            $0.window = TimeWindow(from: 0, to: 1440, days: [1, 2, 3, 4, 5])
        }, world: { World() }, expected: "chosen"),
        Row(name: "window on weekends only, a Wednesday", campaign: banner("a") {
            $0.window = TimeWindow(from: 0, to: 1440, days: [0, 6])
        }, world: { World() }, expected: "time_window"),
        Row(name: "dismissed for good", campaign: banner("a"),
            world: { var w = World(); w.history = [w.dismissed("a", at: "2026-01-01T00:00:00Z")]; return w },
            expected: "dismissed"),
        Row(name: "snoozed, still within", campaign: banner("a") { $0.dismissal = .snooze(7 * 86_400) },
            world: { var w = World(); w.history = [w.dismissed("a", at: "2026-06-04T12:00:01Z")]; return w },
            expected: "dismissed"),
        Row(name: "snooze over", campaign: banner("a") { $0.dismissal = .snooze(7 * 86_400) },
            world: { var w = World(); w.history = [w.dismissed("a", at: "2026-06-03T12:00:00Z")]; return w },
            expected: "chosen"),
        Row(name: "campaign cap reached", campaign: banner("a") { $0.caps = [FrequencyCap(max: 2, per: .rolling(86_400))] },
            world: {
                var w = World()
                w.history = [w.shown("a", at: "2026-06-10T01:00:00Z"), w.shown("a", at: "2026-06-10T02:00:00Z")]
                return w
            }, expected: "capped"),
        Row(name: "rolling cap: an impression exactly 24 hours old no longer counts", campaign: banner("a") {
            $0.caps = [FrequencyCap(max: 1, per: .rolling(86_400))]
        }, world: { var w = World(); w.history = [w.shown("a", at: "2026-06-09T12:00:00Z")]; return w }, expected: "chosen"),
        Row(name: "rolling cap: one second younger counts", campaign: banner("a") {
            $0.caps = [FrequencyCap(max: 1, per: .rolling(86_400))]
        }, world: { var w = World(); w.history = [w.shown("a", at: "2026-06-09T12:00:01Z")]; return w }, expected: "capped"),
        Row(name: "another campaign's impressions do not count for this one", campaign: banner("a") {
            $0.caps = [FrequencyCap(max: 1, per: .day)]
        }, world: { var w = World(); w.history = [w.shown("b", at: "2026-06-10T08:00:00Z")]; return w }, expected: "chosen"),
        Row(name: "channel cap", campaign: banner("a"), world: {
            var w = World()
            w.channelCaps = [FrequencyCap(max: 1, per: .day, scope: .channel(.banner))]
            w.history = [w.shown("b", at: "2026-06-10T08:00:00Z")]
            return w
        }, expected: "capped"),
        Row(name: "another channel's cap does not apply", campaign: banner("a"), world: {
            var w = World()
            w.channelCaps = [FrequencyCap(max: 1, per: .day, scope: .channel(.email))]
            w.history = [w.shown("b", at: "2026-06-10T08:00:00Z", channel: .email)]
            return w
        }, expected: "chosen"),
        Row(name: "exempt from channel caps", campaign: banner("a") { $0.exemptFromChannelCaps = true }, world: {
            var w = World()
            w.channelCaps = [FrequencyCap(max: 1, per: .day, scope: .all)]
            w.history = [w.shown("b", at: "2026-06-10T08:00:00Z")]
            return w
        }, expected: "chosen"),
        Row(name: "holdout of everyone but a sliver", campaign: banner("a") { $0.holdout = 0.9999 },
            world: { World() }, expected: "holdout"),
    ]

    static func cart(_ value: Int, _ iso: String) -> Event {
        Event(name: "cart_abandoned", time: World.at(iso), properties: LiquidObject([("value", .int(value))]))
    }

    @Test(arguments: rows) func eachRule(_ row: Row) {
        #expect(Self.outcome(row.campaign, in: row.world()) == row.expected, "\(row.name)")
    }

    @Test func theHighestPriorityWinsAndTheTraceSaysWhyOthersLost() {
        let d = World().decide([
            banner("low", priority: 1),
            banner("high", priority: 9),
            banner("pro-only", priority: 20) { $0.audience = AudienceCondition(["user.plan": "pro"]) },
        ])
        #expect(d.selection?.campaign.id == "high")
        #expect(d.trace.map(\.campaign) == ["pro-only", "high", "low"])
        #expect(d.trace.map { $0.rejection?.code ?? "chosen" } == ["audience", "chosen", "lower_priority"])
        #expect(d.trace[2].rejection == .lowerPriority(than: "high"))
        #expect(d.fallbacks.map(\.campaign.id) == ["low"])
    }

    @Test("every rejection is spelled out from what the decision kept: names, rules, times and counts")
    func rejectionsAreSpelledOutWhole() {
        var world = World()
        world.events = [Self.cart(120, "2026-06-10T10:00:00Z"), Event(name: "purchase", time: World.at("2026-06-10T10:20:00Z"))]
        // Two of today's banner impressions count against the channel's cap (the capped campaign's own is exempt).
        world.history = [world.shown("capped", at: "2026-06-10T08:00:00Z"), world.shown("staged", at: "2026-06-10T09:00:00Z"),
                         world.shown("staged", at: "2026-06-10T09:30:00Z"), world.dismissed("snoozed", at: "2026-06-10T11:00:00Z")]
        world.channelCaps = [FrequencyCap(max: 9, per: .week, scope: .channel(.email)),
                             FrequencyCap(max: 2, per: .day, scope: .channel(.banner))]
        let window = TimeWindow(from: 9 * 60, to: 11 * 60)
        let ownCaps = [FrequencyCap(max: 5, per: .week, scope: .campaign), FrequencyCap(max: 1, per: .day, scope: .campaign)]
        let d = world.decide([
            banner("staged", priority: 90) { $0.stages = ["reengagement", "loyalty"] },
            banner("cancelled", priority: 80) { $0.trigger = Self.cartTrigger },
            banner("windowed", priority: 70) { $0.window = window },
            banner("snoozed", priority: 60) { $0.dismissal = .snooze(7200) },
            banner("capped", priority: 50) { $0.caps = ownCaps; $0.exemptFromChannelCaps = true },
            banner("channel-capped", priority: 40),
            banner("exempt", priority: 30) { $0.exemptFromChannelCaps = true },
            banner("second", priority: 20) { $0.exemptFromChannelCaps = true },
        ])
        let expected: [Rejection?] = [
            .wrongStage(stage: "revenue", wanted: ["reengagement", "loyalty"]),
            .cancelledByException(event: "purchase", at: World.at("2026-06-10T10:20:00Z")),
            .outsideTimeWindow(localTime: "12:00", window: window),
            .dismissed(at: World.at("2026-06-10T11:00:00Z"), until: World.at("2026-06-10T13:00:00Z")),
            .capped(ownCaps[1], count: 1),
            .capped(world.channelCaps[1], count: 2),
            nil,
            .lowerPriority(than: "exempt"),
        ]
        #expect(d.trace.map(\.rejection) == expected)
        #expect(d.trace.map(\.campaign) == ["staged", "cancelled", "windowed", "snoozed", "capped", "channel-capped", "exempt", "second"])
        #expect(d.trace.map(\.priority) == [90, 80, 70, 60, 50, 40, 30, 20])
        #expect(d.selection?.campaign.id == "exempt")
        #expect(d.fallbacks.map(\.campaign.id) == ["second"])

        #expect(d.rejection(of: "snoozed") == expected[3])
        #expect(d.rejection(of: "exempt") == nil)
        #expect(d.rejection(of: "not-a-candidate") == nil)

        // Two campaigns share one look at a trigger with two exceptions: each names the exception that came first.
        let twoExceptions = Trigger(event: "cart_abandoned", delay: 0, exceptions: ["refund", "purchase", "support_ticket"],
                                    expiry: 3 * 86_400)
        var later = world
        later.events += [Event(name: "support_ticket", time: World.at("2026-06-10T10:40:00Z")),
                         Event(name: "refund", time: World.at("2026-06-10T11:00:00Z"))]
        let shared = later.decide([banner("one", priority: 2) { $0.trigger = twoExceptions },
                                   banner("two", priority: 1) { $0.trigger = twoExceptions }])
        #expect(shared.trace.map(\.rejection) == [.cancelledByException(event: "purchase", at: World.at("2026-06-10T10:20:00Z")),
                                                   .cancelledByException(event: "purchase", at: World.at("2026-06-10T10:20:00Z"))])

        // Stopping at the winner: those ranked below it are not checked, and say which won.
        let engine = DecisionEngine(campaigns: [banner("first", priority: 2), banner("below", priority: 1)], stageRules: World.stages)
        let user = UserMoment(profile: Profile(id: world.userId, traits: world.traits), now: world.now, stageRules: World.stages)
        let short = engine.decide(placement: "home-hero", for: user, history: InteractionHistory(), depth: .winner(fallbacks: 0))
        #expect(short.trace.map(\.rejection) == [nil, .notChecked(winner: "first")])
        #expect(short.fallbacks.isEmpty)
    }

    @Test func equalPrioritiesBreakByCampaignIdWhateverTheOrderGiven() {
        let campaigns = [banner("zeta", priority: 5), banner("alpha", priority: 5), banner("mid", priority: 5)]
        for order in [campaigns, campaigns.reversed(), [campaigns[1], campaigns[2], campaigns[0]]] {
            let d = World().decide(order)
            #expect(d.selection?.campaign.id == "alpha")
            #expect(d.trace.map(\.campaign) == ["alpha", "mid", "zeta"])
        }
        #expect(Decision.tieBreak.contains("campaign id"))
    }

    @Test func thePlacementDefaultStandsApart() {
        let fallback = banner("house-ad") { $0.isDefault = true }
        var d = World().decide([fallback, banner("a") { $0.stages = ["loyalty"] }])
        #expect(d.selection == nil)
        #expect(d.placementDefault?.campaign.id == "house-ad")
        #expect(d.trace.map(\.campaign) == ["a"])
        d = World().decide([fallback, banner("b")])
        #expect(d.selection?.campaign.id == "b")
    }

    @Test func severalSlotsNeverShareACampaignAndCountAgainstCaps() {
        let shared = banner("shared", priority: 9) { $0.placement = nil }
        var top = shared
        top.placement = "top"
        var side = shared
        side.placement = "side"
        side.id = "shared"
        let other = banner("other", priority: 1) { $0.placement = "side" }
        let capped = banner("capped", priority: 5) { $0.placement = "footer" }
        let world = World()
        let engine = DecisionEngine(campaigns: [top, side, other, capped], stageRules: World.stages,
                                    channelCaps: [FrequencyCap(max: 2, per: .day, scope: .channel(.banner))])
        let user = UserMoment(profile: Profile(id: world.userId, traits: world.traits), now: world.now, stageRules: World.stages)
        let ds = engine.decide(placements: ["top", "side", "footer"], for: user, history: InteractionHistory())
        #expect(ds.map { $0.selection?.campaign.id } == ["shared", "other", nil])
        #expect(ds[1].trace.first?.rejection == .filledAnotherSlot(placement: "top"))
        #expect(ds[2].trace.first?.rejection?.code == "capped")
    }

    @Test func variantsAreStableAndFollowTheirWeights() {
        let campaign = banner("exp") { $0.variants = [Variant(key: "control", weight: 0.2), Variant(key: "story", weight: 0.8)] }
        var counts: [String: Int] = [:]
        for i in 0..<10_000 {
            let v = DecisionEngine.variant(of: campaign, for: "user-\(i)")!
            #expect(DecisionEngine.variant(of: campaign, for: "user-\(i)") == v)
            counts[v, default: 0] += 1
        }
        #expect(abs(Double(counts["story"]!) / 10_000 - 0.8) < 0.02)
        // The same assignment GrowthBook's SDKs make: hash v2 of the user id, seeded with the campaign id.
        let n = Bucketing.hash(seed: "exp", value: "user-7", version: 2)!
        #expect(DecisionEngine.variant(of: campaign, for: "user-7") == (n < 0.2 ? "control" : "story"))
    }

    @Test func holdoutShareIsRoughlyTheShareOfUsers() {
        let campaign = banner("h") { $0.holdout = 0.1 }
        var held = 0
        for i in 0..<5_000 {
            var w = World()
            w.userId = "u\(i)"
            if w.decide([campaign]).trace[0].rejection == .holdout { held += 1 }
        }
        #expect(abs(Double(held) / 5_000 - 0.1) < 0.02)
    }

    @Test func theSameInputsGiveTheSameDecision() {
        let campaigns = (0..<20).map { i in banner("c\(i)", priority: i % 4) { $0.variants = [Variant(key: "a"), Variant(key: "b")] } }
        let first = World().decide(campaigns)
        for _ in 0..<5 {
            let again = World().decide(campaigns.shuffled())
            #expect(again.selection?.campaign.id == first.selection?.campaign.id)
            #expect(again.selection?.variant == first.selection?.variant)
            #expect(again.trace.map(\.campaign) == first.trace.map(\.campaign))
        }
    }

    @Test func emailsAreDecidedByTemplate() {
        let email = Campaign(id: "cart-rescue", template: "emails/cart", channel: .email, trigger: Self.cartTrigger)
        let engine = DecisionEngine(campaigns: [email], stageRules: World.stages)
        let profile = Profile(id: "u", events: [Self.cart(150, "2026-06-10T11:00:00Z")])
        let due = engine.decide(template: "emails/cart", for: UserMoment(profile: profile, now: World.at("2026-06-10T11:30:00Z"),
                                                                           stageRules: World.stages), history: InteractionHistory())
        #expect(due.selection?.campaign.id == "cart-rescue")
        let early = engine.decide(template: "emails/cart", for: UserMoment(profile: profile, now: World.at("2026-06-10T11:29:59Z"),
                                                                             stageRules: World.stages), history: InteractionHistory())
        #expect(early.trace.first?.rejection == .triggerNotDue(dueAt: World.at("2026-06-10T11:30:00Z")))
    }

    @Test func theInMemoryLedgerKeepsAndForgets() async throws {
        let ledger: any InteractionLedger = InMemoryLedger()
        let w = World()
        try await ledger.record(w.shown("a", at: "2026-06-10T10:00:00Z"))
        try await ledger.record(w.shown("b", at: "2026-06-10T09:00:00Z"))
        try await ledger.record(w.dismissed("a", at: "2026-06-10T11:00:00Z"))
        let history = try await ledger.history(userId: w.userId)
        #expect(history.interactions.map(\.campaign) == ["b", "a", "a"])
        try await ledger.forget(userId: w.userId)
        #expect(try await ledger.history(userId: w.userId).interactions.isEmpty)
    }
}

/// Time windows and calendar caps on the user's clock, across zones and daylight-saving changes.
@Suite struct TimeEdgeTests {
    static let nineToNine = banner("a") { $0.window = TimeWindow(from: 9 * 60, to: 21 * 60) }

    @Test(arguments: [
        // New York, the day before DST starts (EST, UTC-5) and the day it does (EDT, UTC-4).
        ("America/New_York", "2026-03-07T13:59:00Z", false), ("America/New_York", "2026-03-07T14:00:00Z", true),
        ("America/New_York", "2026-03-08T12:59:00Z", false), ("America/New_York", "2026-03-08T13:00:00Z", true),
        ("America/New_York", "2026-03-09T00:59:00Z", true), ("America/New_York", "2026-03-09T01:00:00Z", false),
        // Paris when DST ends (CEST to CET): 21:00 local is 19:00Z the day before, 20:00Z on the day.
        ("Europe/Paris", "2026-10-24T18:59:00Z", true), ("Europe/Paris", "2026-10-24T19:00:00Z", false),
        ("Europe/Paris", "2026-10-25T19:59:00Z", true), ("Europe/Paris", "2026-10-25T20:00:00Z", false),
        // Kathmandu is UTC+5:45; Chatham Islands UTC+13:45 in (southern) summer.
        ("Asia/Kathmandu", "2026-06-10T03:14:00Z", false), ("Asia/Kathmandu", "2026-06-10T03:15:00Z", true),
        ("Pacific/Chatham", "2026-01-09T19:14:00Z", false), ("Pacific/Chatham", "2026-01-09T19:15:00Z", true),
    ])
    func windowEdges(zone: String, iso: String, open: Bool) {
        var w = World()
        w.zone = zone
        w.now = World.at(iso)
        #expect((DecisionTests.outcome(Self.nineToNine, in: w) == "chosen") == open)
    }

    @Test(arguments: [("21:59", false), ("22:00", true), ("23:59", true), ("00:00", true), ("05:59", true), ("06:00", false)])
    func overnightWindow(clock: String, open: Bool) {
        let night = banner("n") { $0.window = TimeWindow(from: 22 * 60, to: 6 * 60) }
        var w = World()
        w.now = World.at("2026-06-10T\(clock):00Z")
        #expect((DecisionTests.outcome(night, in: w) == "chosen") == open)
    }

    static let daily = banner("a") { $0.caps = [FrequencyCap(max: 1, per: .day)] }
    static let weekly = banner("a") { $0.caps = [FrequencyCap(max: 1, per: .week)] }

    @Test(arguments: [
        // Shown at 23:30 in Paris; ten minutes past local midnight the calendar day is new.
        ("Europe/Paris", "2026-06-09T21:30:00Z", "2026-06-09T22:10:00Z", "chosen"),
        ("Europe/Paris", "2026-06-09T21:30:00Z", "2026-06-09T21:50:00Z", "capped"),
        // Shown at exactly local midnight: that counts for the new day.
        ("Europe/Paris", "2026-06-09T22:00:00Z", "2026-06-09T22:10:00Z", "capped"),
        // The same instants in UTC are the same day.
        ("UTC", "2026-06-09T21:30:00Z", "2026-06-09T22:10:00Z", "capped"),
        // New York on the DST day: the day starts at 05:00Z (EST) though it is 23 hours long.
        ("America/New_York", "2026-03-08T04:59:00Z", "2026-03-08T05:00:00Z", "chosen"),
        ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-09T03:59:00Z", "capped"),
        ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", "chosen"),
    ])
    func dailyCapFollowsTheLocalCalendar(zone: String, shown: String, now: String, expected: String) {
        var w = World()
        w.zone = zone
        w.now = World.at(now)
        w.history = [w.shown("a", at: shown)]
        #expect(DecisionTests.outcome(Self.daily, in: w) == expected)
    }

    @Test(arguments: [
        // 2026-06-14 is a Sunday, 06-15 a Monday: weeks start on Monday in the user's zone.
        ("Asia/Tokyo", "2026-06-14T14:59:00Z", "2026-06-14T15:00:00Z", "chosen"),
        ("Asia/Tokyo", "2026-06-14T15:00:00Z", "2026-06-20T14:59:00Z", "capped"),
        ("UTC", "2026-06-14T14:59:00Z", "2026-06-14T15:00:00Z", "capped"),
    ])
    func weeklyCapStartsOnMonday(zone: String, shown: String, now: String, expected: String) {
        var w = World()
        w.zone = zone
        w.now = World.at(now)
        w.history = [w.shown("a", at: shown)]
        #expect(DecisionTests.outcome(Self.weekly, in: w) == expected)
    }
}

@Suite("Campaign values")
struct CampaignValueTests {
    /// Copies share their fields until one is changed (see Campaign): a change to one copy is that copy's alone,
    /// whichever copy changes, however many there are.
    @Test("a campaign is a value: changing a copy leaves the others as they were")
    func copiesAreIndependent() {
        let original = Campaign(id: "hero", template: "hero", channel: .banner, placement: "home-hero", stages: ["revenue"],
                                priority: 5, caps: [FrequencyCap(max: 1, per: .day)])
        var changed = original
        var other = original
        changed.priority = 9
        changed.stages?.append("activation")
        changed.caps.append(FrequencyCap(max: 3, per: .week))
        other.id = "other"
        other.locales = [LocaleTag("fr")]
        #expect(original.priority == 5 && original.stages == ["revenue"] && original.caps.count == 1 && original.id == "hero")
        #expect(original.locales == nil)
        #expect(changed.priority == 9 && changed.stages == ["revenue", "activation"] && changed.caps.count == 2)
        #expect(changed.id == "hero" && changed.locales == nil)
        #expect(other.id == "other" && other.locales == [LocaleTag("fr")] && other.priority == 5 && other.caps.count == 1)
        // A campaign no other copy shares changes its own box, and stays as changed.
        var alone = Campaign(id: "solo", template: "solo", channel: .email)
        for p in 0..<3 { alone.priority = p }
        alone.goals = [Goal(event: "purchase", within: 86_400, isPrimary: true)]
        #expect(alone.priority == 2 && alone.goals.map(\.event) == ["purchase"] && alone.channel == .email)
    }
}
