import Experiments
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Personalization
import StagecraftServer
import Storage
import Synchronization
import Testing

/// An A/B email with a holdout and two goals, and a banner with a holdout.
private let experimentFiles = Fixture.files.merging([
    "emails/trial.liquid": """
        ---
        campaign: trial
        channel: email
        subject: "Your trial"
        variants: [{ key: plain, weight: 1 }, { key: story, weight: 1 }]
        holdout: 0.2
        goals:
          primary: { event: upgraded, within: 7d }
          secondary:
            - { name: revenue, event: order, value: properties.total }
        ---
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Trial</title></head><body><p>Hello</p></body></html>
        """,
    "banners/hero.liquid": """
        ---
        campaign: hero
        channel: banner
        placement: hero
        holdout: 0.5
        goals:
          primary: { event: upgraded }
        ---
        <aside class="hero">Upgrade</aside>
        """,
]) { _, new in new }

private func get(_ client: any TestClientProtocol, _ uri: String) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .get, headers: [:], body: nil)
}

private func post(_ client: any TestClientProtocol, _ uri: String, _ body: String) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .post, headers: jsonHeaders, body: jsonBody(body))
}

private func arms(_ goal: Value?) -> [String: LiquidObject] {
    var out: [String: LiquidObject] = [:]
    for a in goal?.objectValue?["arms"]?.arrayValue ?? [] {
        if let o = a.objectValue, let name = o["arm"]?.stringValue { out[name] = o }
    }
    return out
}

private func number(_ v: Value?) -> Double? {
    switch v {
    case .int(let n)?: return Double(n)
    case .double(let d)?: return d
    default: return nil
    }
}

@Suite("Experiment results: exposures, goals, GrowthBook's statistics")
struct ResultsTests {
    @Test("sends expose users in their variant, holdout users when it would have gone; goal events count; the results are GrowthBook's")
    func emailExperiment() async throws {
        let h = try Harness(files: experimentFiles)
        try await h.test { client in
            var armOf: [Int: String] = [:]
            for i in 0..<300 {
                let r = try await post(client, "/v1/messages/emails/trial/render", #"{"anonymous_id":"v\#(i)","send":true}"#)
                #expect(r.status == .ok)
                if j(r.json["sent"]) == "true" {
                    armOf[i] = try #require(r.json["variant"]?.stringValue)
                } else {
                    #expect(j(r.json["reason"]) == #""holdout""#)
                    armOf[i] = "holdout"
                }
            }
            // Sent again: exposed already, nothing changes.
            _ = try await post(client, "/v1/messages/emails/trial/render", #"{"anonymous_id":"v0","send":true}"#)
            // Every third user upgrades; every fifth orders (total i, twice); unexposed users do too.
            var events: [String] = []
            for i in 0..<320 {
                if i % 3 == 0 { events.append(#"{"anonymous_id":"v\#(i)","name":"upgraded"}"#) }
                if i % 5 == 0 {
                    events.append(#"{"anonymous_id":"v\#(i)","name":"order","properties":{"total":\#(i)}}"#)
                    events.append(#"{"anonymous_id":"v\#(i)","name":"order","properties":{"total":1.5}}"#)
                }
            }
            #expect(try await post(client, "/v1/events", #"{"events":[\#(events.joined(separator: ","))]}"#).status == .ok)

            let r = try await get(client, "/v1/campaigns/trial/results")
            #expect(r.status == .ok)
            let body = r.json
            #expect(body["control"]?.stringValue == "holdout")
            #expect(number(body["exposed"]) == 300)
            var exposed: [String: Int] = [:]
            var converted: [String: Int] = [:]
            var revenue: [String: (Double, Double)] = [:]
            for (i, arm) in armOf {
                exposed[arm, default: 0] += 1
                if i % 3 == 0 { converted[arm, default: 0] += 1 }
                if i % 5 == 0 {
                    let v = Double(i) + 1.5
                    revenue[arm, default: (0, 0)].0 += v
                    revenue[arm, default: (0, 0)].1 += v * v
                }
            }
            #expect(Set(exposed.keys) == ["holdout", "plain", "story"])
            let listed = body["arms"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(listed.map { $0["arm"]?.stringValue ?? "" } == ["holdout", "plain", "story"])
            for a in listed {
                let name = a["arm"]!.stringValue!
                #expect(number(a["exposed"]) == Double(exposed[name]!), "\(name)")
            }
            // The split check against 0.2 / 0.4 / 0.4.
            let srm = Comparison.sampleRatioMismatch(users: ["holdout", "plain", "story"].map { exposed[$0]! }, weights: [0.2, 0.4, 0.4])
            #expect(abs(number(body["srm"]?.objectValue?["p_value"])! - srm) < 1e-12)
            #expect(j(body["srm"]?.objectValue?["mismatch"]) == String(srm < 0.001))

            let goals = body["goals"]?.arrayValue ?? []
            #expect(goals.count == 2)
            let upgrade = arms(goals.first)
            let revenueArms = arms(goals.last)
            for name in ["plain", "story"] {
                let control = ArmStatistic.proportion(users: exposed["holdout"]!, conversions: Double(converted["holdout"] ?? 0))
                let treatment = ArmStatistic.proportion(users: exposed[name]!, conversions: Double(converted[name] ?? 0))
                let c = Comparison(control: control, treatment: treatment)
                let shown = try #require(upgrade[name]?["vs_control"]?.objectValue)
                #expect(number(upgrade[name]?["converted"]) == Double(converted[name] ?? 0))
                #expect(abs(number(upgrade[name]?["rate"])! - treatment.mean) < 1e-12)
                #expect(abs(number(shown["uplift"])! - c.expected) < 1e-12)
                #expect(abs(number(shown["chance_to_win"])! - c.bayesian.chanceToWin) < 1e-12)
                #expect(abs(number(shown["p_value"])! - c.frequentist.pValue) < 1e-12)
                let interval = shown["interval"]?.arrayValue?.compactMap(number) ?? []
                #expect(interval.count == 2 && abs(interval[0] - c.bayesian.interval.lowerBound) < 1e-12)

                let (sum, squares) = revenue[name] ?? (0, 0)
                #expect(abs(number(revenueArms[name]?["sum"])! - sum) < 1e-9)
                #expect(abs(number(revenueArms[name]?["sum_squares"])! - squares) < 1e-6)
                let rc = Comparison(control: .mean(users: exposed["holdout"]!, sum: revenue["holdout"]?.0 ?? 0, sumOfSquares: revenue["holdout"]?.1 ?? 0),
                                    treatment: .mean(users: exposed[name]!, sum: sum, sumOfSquares: squares))
                #expect(abs(number(revenueArms[name]?["vs_control"]?.objectValue?["p_value"])! - rc.frequentist.pValue) < 1e-9)
            }
            #expect(j(upgrade["holdout"]?["vs_control"]) == "null")
            // The daily series: one day, everyone exposed on it, the cumulative rate the primary goal's.
            let days = body["daily"]?.arrayValue ?? []
            #expect(days.count == 1)
            #expect(days.first?.objectValue?["date"]?.stringValue == "2026-11-23")
            let plainDay = days.first?.objectValue?["arms"]?.arrayValue?.compactMap(\.objectValue).first { $0["arm"]?.stringValue == "plain" }
            #expect(number(plainDay?["cumulative_exposed"]) == Double(exposed["plain"]!))
            #expect(abs(number(plainDay?["cumulative_value"])! - Double(converted["plain"] ?? 0) / Double(exposed["plain"]!)) < 1e-12)
            #expect(!r.text.contains("nan") && !r.text.contains("inf"))
            // Everyone was exposed today (the pinned clock): every window is still open, and the answer says so.
            #expect(number(goals.first?.objectValue?["users_in_window"]) == 300)
            #expect(goals.first?.objectValue?["window_message"]?.stringValue?.hasPrefix("300 of the 300 users exposed are still within the goal's 7-day window") == true)
            #expect(j(days.first?.objectValue?["window_closed"]) == "false")
        }
    }

    @Test("a slot exposes holdout users when served; shown users by their impression, in the variant they are in")
    func bannerExposures() async throws {
        let h = try Harness(files: experimentFiles)
        try await h.test { client in
            var held = 0
            for i in 0..<60 {
                let r = try await get(client, "/v1/placements/hero?anonymous_id=b\(i)")
                if r.status == .ok {
                    // Shown: exposed when the page reports the impression (a variant it names is not believed).
                    let i = try await post(client, "/v1/interactions",
                                           #"{"anonymous_id":"b\#(i)","campaign":"hero","kind":"impression","variant":"made-up"}"#)
                    #expect(i.status == .created)
                } else {
                    held += 1
                }
                // Asked again: exposed once.
                _ = try await get(client, "/v1/placements/hero?anonymous_id=b\(i)")
            }
            #expect(held > 10 && held < 50)
            let body = try await get(client, "/v1/campaigns/hero/results").json
            let listed = body["arms"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(listed.map { $0["arm"]?.stringValue ?? "" } == ["holdout", "default"])
            #expect(number(listed.first?["exposed"]) == Double(held))
            #expect(number(listed.last?["exposed"]) == Double(60 - held))
        }
        let rows = try await h.store.rollups(campaign: "hero")
        #expect(rows.allSatisfy { $0.arm == .holdout || $0.arm == Arm(variant: nil) })
    }

    @Test("goal events are kept at once and attributed a moment later by themselves, many in one write")
    func attributedSoon() async throws {
        let h = try Harness(files: experimentFiles)
        try await h.test { client in
            for i in 0..<20 {
                _ = try await post(client, "/v1/messages/emails/trial/render", #"{"anonymous_id":"s\#(i)","send":true}"#)
            }
            let events = (0..<20).map { #"{"anonymous_id":"s\#($0)","name":"upgraded"}"# }
            #expect(try await post(client, "/v1/events", #"{"events":[\#(events.joined(separator: ","))]}"#).status == .ok)
            // No results call: the server's own pass, started by the write, attributes them.
            var converted = 0
            let deadline = ContinuousClock.now + .seconds(5)
            while converted < 20, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                converted = try await h.store.rollups(campaign: "trial").filter { $0.goal == "upgraded" }.map(\.users).reduce(0, +)
            }
            #expect(converted == 20)
            #expect(try await h.store.attributeQueued(GoalIndex([]), limit: 100) == 0, "nothing is left in the queue")
        }
    }

    @Test("users whose goal window is still open are counted, per goal and per day")
    func openWindows() throws {
        var c = Campaign(id: "w", template: "w", channel: Channel(rawValue: "email")!, variants: [Variant(key: "a"), Variant(key: "b")])
        c.goals = [Goal(event: "upgraded", within: 7 * 86_400, isPrimary: true), Goal(name: "quick", event: "clicked", within: 3_600)]
        let d = 20_400
        let rows = [Rollup(goal: "", arm: Arm(variant: "a"), day: d, users: 10, sum: 0, sumOfSquares: 0),
                    Rollup(goal: "", arm: Arm(variant: "b"), day: d + 5, users: 5, sum: 0, sumOfSquares: 0)]
        // Eight days after day d began: day d's users have had their 7 days (to the last second of d), day d + 5's not.
        let now = Date(timeIntervalSince1970: Double(d + 8) * 86_400)
        let value = CampaignResults(campaign: c, rollups: rows, now: now).value
        let goals = value.objectValue?["goals"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(number(goals[0]["users_in_window"]) == 5)
        #expect(goals[0]["window_message"]?.stringValue == "5 of the 15 users exposed are still within the goal's 7-day window: what they do next still counts, so these numbers can still rise.")
        #expect(number(goals[1]["users_in_window"]) == 0 && goals[1]["window_message"] == nil)
        let days = value.objectValue?["daily"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(days.count == 6)
        #expect(days.map { j($0["window_closed"]) } == ["true", "false", "false", "false", "false", "false"])
        #expect(CampaignResults.span(30) == "30-second" && CampaignResults.span(90) == "90-second"
            && CampaignResults.span(5_400) == "90-minute" && CampaignResults.span(7 * 86_400) == "7-day")
        // Without a time, nothing is said of windows.
        let timeless = CampaignResults(campaign: c, rollups: rows).value
        #expect(timeless.objectValue?["goals"]?.arrayValue?.first?.objectValue?["users_in_window"] == nil)
    }

    @Test("no exposures, unknown campaigns and bad dates answer clearly")
    func degenerate() async throws {
        let h = try Harness(files: experimentFiles)
        try await h.test { client in
            let empty = try await get(client, "/v1/campaigns/trial/results")
            #expect(empty.status == .ok)
            #expect(empty.json["message"]?.stringValue?.contains("No user has been exposed") == true)
            #expect(!empty.text.contains("nan") && !empty.text.contains("inf"))
            let plain = arms(empty.json["goals"]?.arrayValue?.first)["plain"]
            #expect(j(plain?["rate"]) == "null")
            #expect(plain?["vs_control"]?.objectValue?["problem"]?.objectValue?["code"]?.stringValue == "NO_UNITS_IN_VARIATION")

            let unknown = try await get(client, "/v1/campaigns/nope/results")
            #expect(unknown.status == .notFound && unknown.problemCode == "unknown_campaign")
            for query in ["from=2026-13-01", "to=yesterday", "from=2026-02-30", "from=2026-11-24&to=2026-11-23"] {
                let r = try await get(client, "/v1/campaigns/trial/results?\(query)")
                #expect(r.status == .unprocessableContent && r.problemCode == "invalid_field", "\(query)")
            }
            // Dates filter by the day users were exposed.
            _ = try await post(client, "/v1/messages/emails/trial/render", #"{"anonymous_id":"d1","send":true}"#)
            let before = try await get(client, "/v1/campaigns/trial/results?to=2026-11-22").json
            #expect(number(before["exposed"]) == 0)
            let on = try await get(client, "/v1/campaigns/trial/results?from=2026-11-23&to=2026-11-23").json
            #expect(number(on["exposed"]) == 1)
            #expect(on["from"]?.stringValue == "2026-11-23")
        }
    }
}

@Suite("Stage flow: moves kept as serving sees users")
struct StageFlowTests {
    @Test("users are counted in the stage the rules give them when served; a change of stage is a move on its day")
    func flow() async throws {
        let h = try Harness(files: experimentFiles)
        try await h.test { client in
            let empty = try await get(client, "/v1/stages/flow")
            #expect(empty.status == .ok && empty.json["message"] != nil)
            for i in 0..<6 {
                let traits = i < 4 ? #"{"name":"S"}"# : #"{"plan":"trial"}"#
                let put = try await client.execute(uri: "/v1/profiles/s\(i)", method: .put, headers: jsonHeaders,
                                                   body: jsonBody(#"{"traits":\#(traits)}"#))
                #expect(put.status == .created || put.status == .ok)
                _ = try await get(client, "/v1/placements/hero?user_id=s\(i)")
            }
            // Two start a trial and are served again: they move; a stage stated by a request, or an unknown visitor, is not kept.
            for i in 0..<2 {
                _ = try await client.execute(uri: "/v1/profiles/s\(i)", method: .patch, headers: jsonHeaders,
                                             body: jsonBody(#"{"traits":{"plan":"trial"}}"#))
                _ = try await get(client, "/v1/placements/hero?user_id=s\(i)")
                _ = try await get(client, "/v1/placements/hero?user_id=s\(i)")
            }
            _ = try await post(client, "/v1/messages/emails/trial/render", #"{"user_id":"s2","stage":"loyalty"}"#)
            _ = try await get(client, "/v1/placements/hero?anonymous_id=nobody")
            // One is removed: they leave their stage that day.
            let removed = try await client.execute(uri: "/v1/profiles/s5", method: .delete, headers: [:], body: nil)
            #expect((200..<300).contains(removed.status.code))

            let r = try await get(client, "/v1/stages/flow")
            #expect(r.status == .ok)
            let body = r.json
            let days = body["days"]?.arrayValue ?? []
            #expect(days.count == 1)
            let users = days.first?.objectValue?["users"]?.objectValue
            let stages = body["stages"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(stages) == ["revenue", "activation"])
            var expected: [String: Int] = [:]
            for s in stages { expected[s] = 0 }
            expected["activation"] = 2
            expected["revenue"] = 3
            for s in stages { #expect(number(users?[s]) == Double(expected[s]!), "\(s)") }
            let moves = (body["transitions"]?.arrayValue ?? []).compactMap(\.objectValue).map {
                "\(j($0["from"])) -> \(j($0["to"])): \(j($0["users"]))"
            }
            #expect(moves == [#"null -> "activation": 4"#, #"null -> "revenue": 2"#, #""activation" -> "revenue": 2"#,
                              #""revenue" -> null: 1"#])
            let outside = try await get(client, "/v1/stages/flow?from=2026-11-24&to=2026-11-30").json
            #expect(outside["transitions"]?.arrayValue?.isEmpty == true)
            #expect(number(outside["days"]?.arrayValue?.first?.objectValue?["users"]?.objectValue?["revenue"]) == 3)
            let bad = try await get(client, "/v1/stages/flow?from=2000-01-01&to=2026-01-01")
            #expect(bad.status == .unprocessableContent && bad.problemCode == "invalid_field")
        }
    }
}

@Suite("Stage sweep: the moves time alone makes")
struct StageSweepTests {
    @Test("a pass puts every known user in the stage the rules give them now: a move on its day, once; a user served in the old stage again moves back")
    func sweep() async throws {
        var files = Fixture.files
        files["stages.yml"] = """
            rules:
              - stage: reengagement
                when: { facts.days_since_last_seen: { $gte: 30 } }
              - stage: revenue
                when: { user.plan: trial }
            fallback: activation
            """
        let h = try Harness(files: files)
        let day = 86_400.0
        _ = try await h.store.saveProfile(id: "q1", traits: .replace(LiquidObject([("plan", "trial")])), timeZone: nil, at: fixedNow)
        _ = try await h.store.saveProfile(id: "q3", traits: .replace(LiquidObject()), timeZone: nil, at: fixedNow)
        _ = try await h.store.append([UserEvent(userId: "q0", event: Event(name: "login", time: fixedNow.addingTimeInterval(-day))),
                                      UserEvent(userId: "q1", event: Event(name: "login", time: fixedNow.addingTimeInterval(-day))),
                                      UserEvent(userId: "q2", event: Event(name: "page", time: fixedNow.addingTimeInterval(-40 * day)))])
        var settings = StageSweepSettings()
        settings.pageSize = 1
        settings.pause = .zero
        let later = fixedNow.addingTimeInterval(31 * day)
        let today = StageSweep(api: h.server, settings: settings, clock: { fixedNow })
        let monthOn = StageSweep(api: h.server, settings: settings, clock: { later })
        try await h.test { client in
            // Served: q0 and q1 are kept in their stages; q2 (gone quiet) and q3 (a profile alone) are never served.
            for id in ["q0", "q1"] { _ = try await get(client, "/v1/placements/home-hero?user_id=\(id)") }
            _ = try await get(client, "/v1/stages/flow")
            #expect(try await h.store.recordedStage(userId: "q0") == "activation")
            #expect(try await h.store.recordedStage(userId: "q1") == "revenue")

            #expect(try await today.pass() == StageSweep.Outcome(users: 4, moved: 2))
            #expect(try await h.store.recordedStage(userId: "q2") == "reengagement")
            #expect(try await h.store.recordedStage(userId: "q3") == "activation")
            #expect(try await today.pass() == StageSweep.Outcome(users: 4, moved: 0))

            // A month on, with nothing done meanwhile: the two served ones have gone quiet too.
            #expect(try await monthOn.pass() == StageSweep.Outcome(users: 4, moved: 2))
            let d0 = Rollup.day(of: fixedNow)
            let d31 = Rollup.day(of: later)
            #expect(try await h.store.stageMoves() == [
                StageMove(day: d0, from: "", to: "activation", users: 2),
                StageMove(day: d0, from: "", to: "reengagement", users: 1),
                StageMove(day: d0, from: "", to: "revenue", users: 1),
                StageMove(day: d31, from: "activation", to: "reengagement", users: 1),
                StageMove(day: d31, from: "revenue", to: "reengagement", users: 1),
            ])
            // Served again as of the server's clock (the day after their login): back in activation, kept as a
            // move, although this process last kept them in activation itself.
            _ = try await get(client, "/v1/placements/home-hero?user_id=q0")
            let flow = try await get(client, "/v1/stages/flow").json
            let moves = (flow["transitions"]?.arrayValue ?? []).compactMap(\.objectValue).map { "\(j($0["from"])) -> \(j($0["to"]))" }
            #expect(moves.contains(#""reengagement" -> "activation""#), "\(moves)")
            #expect(try await h.store.recordedStage(userId: "q0") == "activation")
            // Removed through this process while a pass had them on its page (written back here as that page read
            // them): the pass does not put them back in a stage.
            #expect(try await client.execute(uri: "/v1/profiles/q3", method: .delete, headers: [:], body: nil).status.code < 300)
            _ = try await h.store.saveProfile(id: "q3", traits: .replace(LiquidObject()), timeZone: nil, at: fixedNow)
            #expect(try await today.pass().users == 3)
            #expect(try await h.store.recordedStage(userId: "q3") == nil)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains("stagecraft_stage_sweeps_total 4"), "\(metrics)")
            #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("stagecraft_stage_moves_total") && $0.contains("from=\"revenue\"")
                && $0.contains("to=\"reengagement\"") && $0.hasSuffix(" 1") })
        }
    }
}

extension StageSweepTests {
    @Test("instances on one database sweep once per interval between them: the one that claims the pass runs it, the others wait for its next")
    func oncePerInterval() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "w1", traits: .replace(LiquidObject()), timeZone: nil, at: fixedNow)
        var settings = StageSweepSettings()
        settings.pause = .zero
        var now = fixedNow
        let clock = Mutex(fixedNow)
        let a = StageSweep(api: h.server, settings: settings, clock: { clock.withLock { $0 } })
        let b = StageSweep(api: h.server, settings: settings, clock: { clock.withLock { $0 } })
        let first = try await a.passWhenDue(.seconds(3600))
        #expect(first > .seconds(3500) && first <= .seconds(3600))
        #expect(try await h.store.recordedStage(userId: "w1") == "activation")
        // Ten minutes on, the other instance (or this one restarted) finds it swept: it waits the fifty left.
        now = fixedNow.addingTimeInterval(600)
        clock.withLock { $0 = now }
        _ = try await h.store.deleteProfile(id: "w1", at: now)
        _ = try await h.store.saveProfile(id: "w1", traits: .replace(LiquidObject()), timeZone: nil, at: now)
        let wait = try await b.passWhenDue(.seconds(3600))
        #expect(wait == .seconds(3000))
        #expect(try await h.store.recordedStage(userId: "w1") == nil, "no pass ran")
        // Due again: it runs.
        clock.withLock { $0 = fixedNow.addingTimeInterval(3600) }
        _ = try await b.passWhenDue(.seconds(3600))
        #expect(try await h.store.recordedStage(userId: "w1") == "activation")
        try await h.test { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains("stagecraft_stage_sweeps_total 2"), "\(metrics)")
        }
    }
}

@Suite("Result dates")
struct ResultDateTests {
    @Test("day numbers and yyyy-MM-dd agree with Foundation's Gregorian calendar, 1600 to 2400; impossible dates are refused")
    func dates() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let first = Rollup.day(of: calendar.date(from: DateComponents(year: 1600, month: 1, day: 1))!)
        let last = Rollup.day(of: calendar.date(from: DateComponents(year: 2400, month: 12, day: 31))!)
        var mismatches = 0
        for n in stride(from: first, through: last, by: 1) {
            let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(n) * 86_400))
            let text = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            if CampaignResults.date(n) != text || CampaignResults.day(text) != n { mismatches += 1 }
        }
        #expect(mismatches == 0)
        for bad in ["2026-02-29", "2100-02-29", "2026-04-31", "2026-00-10", "2026-1-01", "２０２６-01-01", "2026-01-01T00:00:00Z"] {
            #expect(CampaignResults.day(bad) == nil, "\(bad)")
        }
        #expect(CampaignResults.day("2000-02-29") != nil && CampaignResults.day("2024-02-29") != nil)
    }
}
