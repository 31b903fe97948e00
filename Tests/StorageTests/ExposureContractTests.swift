import Foundation
import Liquid
import Logging
import Personalization
import PostgresNIO
import SQLiteStorage
@testable import PostgresStorage
import Storage
import Testing

private let t0 = Timestamp.parse("2026-06-01T12:00:00Z")!
private let day0 = Rollup.day(of: t0)

private func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

private func event(_ user: String, _ name: String, _ seconds: Double, _ properties: [(String, Value)] = [],
                   message: String? = nil) -> UserEvent
{
    UserEvent(userId: user, event: Event(name: name, time: at(seconds), properties: LiquidObject(properties)), messageId: message)
}

private func impression(_ user: String, _ campaign: String, variant: String?, _ seconds: Double) -> Interaction {
    Interaction(userId: user, campaign: campaign, channel: Channel(rawValue: "banner")!, kind: .impression, time: at(seconds),
                variant: variant)
}

/// `upgrade`: converts on `plan_upgraded` within a day; revenue sums `order_completed`'s `total` for EUR orders.
private let goals = GoalIndex([
    {
        var c = Campaign(id: "upgrade", template: "upgrade", channel: Channel(rawValue: "banner")!, variants: [Variant(key: "a"), Variant(key: "b")],
                         holdout: 0.1)
        c.goals = [
            Goal(event: "plan_upgraded", within: 86_400, isPrimary: true),
            Goal(name: "revenue", event: "order_completed", condition: AudienceCondition(.object(LiquidObject([("currency", "EUR")]))),
                 within: 86_400, measure: .value(["total"])),
        ]
        return c
    }(),
])

private func row(_ rows: [Rollup], _ goal: String, _ arm: Arm, day: Int = day0) -> Rollup? {
    rows.first { $0.goal == goal && $0.arm == arm && $0.day == day }
}

/// Exposures and goal rollups, part of the store contract's serialized suite (its PostgreSQL database is one).
extension StoreContractTests {
    /// Serving and the stage sweep write what they saw of a user a moment later; another instance may remove the user
    /// in between. The store remembers the removal for an hour, so that what was seen before it is not written back.
    @Test("what was seen of a user before their removal is not written after it; what is seen after it is", arguments: StoreKind.available)
    func seenBeforeRemoval(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject([("plan", "trial")])), timeZone: nil, at: at(0))
            #expect(try await store.recordStages([StageSighting(userId: "u1", stage: "activation", time: at(0))]) == [""])
            #expect(try await store.deleteProfile(id: "u1", at: at(10)))
            // Seen at 5 s, written after the removal at 10 s: u1's part is dropped, u2's kept.
            #expect(try await store.recordStages([StageSighting(userId: "u1", stage: "retention", time: at(5)),
                                                  StageSighting(userId: "u2", stage: "activation", time: at(5))]) == [nil, ""])
            try await store.expose([Exposure(campaign: "upgrade", userId: "u1", arm: .holdout, time: at(5)),
                                    Exposure(campaign: "upgrade", userId: "u2", arm: .holdout, time: at(5))])
            #expect(try await store.recordedStage(userId: "u1") == nil)
            #expect(row(try await store.rollups(campaign: "upgrade"), "", .holdout)?.users == 1)
            let moves = try await store.stageMoves()
            #expect(moves.first { $0.from == "activation" && $0.to.isEmpty }?.users == 1)
            #expect(!moves.contains { $0.to == "retention" })
            // Coming back after the removal is a new user's first sighting and exposure.
            #expect(try await store.recordStages([StageSighting(userId: "u1", stage: "activation", time: at(20))]) == [""])
            try await store.expose([Exposure(campaign: "upgrade", userId: "u1", arm: .holdout, time: at(20))])
            #expect(row(try await store.rollups(campaign: "upgrade"), "", .holdout)?.users == 2)
            // Removing someone the store does not know removes nothing and remembers nothing.
            #expect(try await store.deleteProfile(id: "u4", at: at(10)) == false)
            #expect(try await store.recordStages([StageSighting(userId: "u4", stage: "activation", time: at(5))]) == [""])
            // An hour on, the removal is forgotten (another removal clears what is older): what was seen of u1 before it
            // counts like anything else.
            _ = try await store.deleteProfile(id: "u3", at: at(10 + Removal.remembered + 1))
            #expect(try await store.recordStages([StageSighting(userId: "u1", stage: "retention", time: at(5))]) == ["activation"])
        }
    }

    @Test("the first impression or send exposes; later ones and other kinds change nothing", arguments: StoreKind.available)
    func firstExposure(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
            try await store.record(impression("u1", "upgrade", variant: "b", 60))  // a later one: still exposed to a
            try await store.record(Interaction(userId: "u2", campaign: "upgrade", channel: Channel(rawValue: "banner")!, kind: .click,
                                               time: at(0), variant: "b"))
            _ = try await store.admit(userId: "u3", idempotency: nil, at: at(0)) { _ in
                Admission(interactions: [impression("u3", "upgrade", variant: "b", 0)], answer: "{}")
            }
            // A holdout user, exposed by a decision (twice: once counts), in the same admission and by itself.
            _ = try await store.admit(userId: "u4", idempotency: nil, at: at(0)) { _ in
                Admission(interactions: [], exposures: [Exposure(campaign: "upgrade", userId: "u4", arm: .holdout, time: at(0))], answer: "{}")
            }
            try await store.expose([Exposure(campaign: "upgrade", userId: "u4", arm: .holdout, time: at(10)),
                                    Exposure(campaign: "upgrade", userId: "u5", arm: .holdout, time: at(86_400))])
            let rows = try await store.rollups(campaign: "upgrade")
            #expect(rows.filter { $0.goal.isEmpty }.map(\.users).reduce(0, +) == 4)
            #expect(row(rows, "", Arm(variant: "a"))?.users == 1)
            #expect(row(rows, "", Arm(variant: "b"))?.users == 1)
            #expect(row(rows, "", .holdout)?.users == 1)
            #expect(row(rows, "", .holdout, day: day0 + 1)?.users == 1)
            #expect(try await store.rollups(campaign: "other").isEmpty)
        }
    }

    @Test("events after exposure and within the window count once per user; repeats, strangers and other events do not",
          arguments: StoreKind.available)
    func attribution(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
            try await store.record(impression("u2", "upgrade", variant: "a", 0))
            try await store.expose([Exposure(campaign: "upgrade", userId: "h1", arm: .holdout, time: at(0))])
            let added = try await store.append([
                event("u1", "plan_upgraded", -10),  // before exposure
                event("u1", "plan_upgraded", 100, message: "m1"),
                event("u1", "plan_upgraded", 200),  // converted already
                event("u2", "plan_upgraded", 90_000),  // after the window
                event("h1", "plan_upgraded", 50),
                event("x9", "plan_upgraded", 50),  // never exposed
                event("u1", "order_completed", 300, [("total", 20), ("currency", "EUR")]),
                event("u1", "order_completed", 400, [("total", 5.5), ("currency", "EUR")], message: "o2"),
                event("u1", "order_completed", 500, [("total", 1000), ("currency", "USD")]),  // not the condition
                event("u2", "order_completed", 500, [("total", "12"), ("currency", "EUR")]),
            ], attributing: goals)
            #expect(added == 10)
            // A retried batch (same message ids) is kept once and counted once.
            #expect(try await store.append([event("u1", "plan_upgraded", 100, message: "m1"),
                                            event("u1", "order_completed", 400, [("total", 5.5), ("currency", "EUR")], message: "o2")],
                                           attributing: goals) == 0)
            // A later batch adds to the user's value: 25.5 + 4.5 = 30.
            _ = try await store.append([event("u1", "order_completed", 600, [("total", 4.5), ("currency", "EUR")])], attributing: goals)
            // Without the goals given, an event counts for nothing.
            _ = try await store.append([event("u2", "plan_upgraded", 100)])

            // The writes only queued the 11 new goal events; passes attribute them, the oldest first, `limit` at a time.
            #expect(try await store.rollups(campaign: "upgrade").allSatisfy { $0.goal.isEmpty })
            #expect(try await store.attributeQueued(goals, limit: 4) == 4)
            #expect(try await store.attributeAllQueued(goals, limit: 4) == 7)
            #expect(try await store.attributeQueued(goals, limit: 4) == 0)
            let rows = try await store.rollups(campaign: "upgrade")
            let conv = row(rows, "plan_upgraded", Arm(variant: "a"))
            #expect(conv?.users == 1 && conv?.sum == 1 && conv?.sumOfSquares == 1)
            #expect(row(rows, "plan_upgraded", .holdout)?.sum == 1)
            let revenue = try #require(row(rows, "revenue", Arm(variant: "a")))
            #expect(revenue.users == 2)
            #expect(abs(revenue.sum - 42) < 1e-9)
            #expect(abs(revenue.sumOfSquares - (30 * 30 + 12 * 12)) < 1e-6)
            #expect(row(rows, "", Arm(variant: "a"))?.users == 2)
        }
    }

    @Test("a deleted user's exposure and values go; the campaign's counts keep them", arguments: StoreKind.available)
    func deletion(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
            _ = try await store.append([event("u1", "plan_upgraded", 10)], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 1)
            // Queued and removed before a pass: dropped from the queue, counted nowhere. The next event kept (which
            // SQLite may give the removed one's seq) is queued as any other.
            _ = try await store.append([event("u1", "order_completed", 15, [("total", 7), ("currency", "EUR")])], attributing: goals)
            _ = try await store.deleteProfile(id: "u1")
            // No exposure left: an event now counts for nothing, and a new impression is a new exposure.
            _ = try await store.append([event("u1", "order_completed", 20, [("total", 3), ("currency", "EUR")])], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 1)
            var rows = try await store.rollups(campaign: "upgrade")
            #expect(row(rows, "revenue", Arm(variant: "a")) == nil)
            #expect(row(rows, "plan_upgraded", Arm(variant: "a"))?.sum == 1)
            try await store.record(impression("u1", "upgrade", variant: "a", 30))
            rows = try await store.rollups(campaign: "upgrade")
            #expect(row(rows, "", Arm(variant: "a"))?.users == 2)
        }
    }

    @Test("concurrent events and concurrent passes for one user's value add up exactly, each event taken once",
          arguments: StoreKind.available)
    func concurrentValues(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await store.record(impression("u1", "upgrade", variant: "b", 0))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        _ = try await store.append([event("u1", "order_completed", Double(10 + i), [("total", 1), ("currency", "EUR")])],
                                                   attributing: goals)
                    }
                }
                try await group.waitForAll()
            }
            // Passes at once (instances sharing a database run theirs), three events each.
            let taken = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await store.attributeAllQueued(goals, limit: 3) } }
                return try await group.reduce(0, +)
            }
            #expect(taken == 40)
            let revenue = try #require(row(try await store.rollups(campaign: "upgrade"), "revenue", Arm(variant: "b")))
            #expect(revenue.users == 1 && revenue.sum == 40)
            #expect(abs(revenue.sumOfSquares - 1600) < 1e-9)
        }
    }
}

extension StoreContractTests {
    @Test("a user's stage is kept when it changes, and each move counts on its day", arguments: StoreKind.available)
    func stageMoves(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.recordedStage(userId: "u1") == nil)
            #expect(try await store.recordStage(userId: "u1", stage: "activation", at: at(0)) == "")
            #expect(try await store.recordStage(userId: "u1", stage: "activation", at: at(10)) == nil)
            #expect(try await store.recordStage(userId: "u2", stage: "activation", at: at(20)) == "")
            #expect(try await store.recordStage(userId: "u1", stage: "retention", at: at(86_400)) == "activation")
            #expect(try await store.recordedStage(userId: "u1") == "retention")
            // Seen at once by several requests: moved once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { _ = try await store.recordStage(userId: "u2", stage: "revenue", at: at(86_500)) } }
                try await group.waitForAll()
            }
            #expect(try await store.stageMoves() == [
                StageMove(day: day0, from: "", to: "activation", users: 2),
                StageMove(day: day0 + 1, from: "activation", to: "retention", users: 1),
                StageMove(day: day0 + 1, from: "activation", to: "revenue", users: 1),
            ])
            // Removed, they leave their stage: a move to none on the day of the deletion.
            _ = try await store.deleteProfile(id: "u1", at: at(2 * 86_400))
            #expect(try await store.recordedStage(userId: "u1") == nil)
            #expect(try await store.stageMoves().last == StageMove(day: day0 + 2, from: "retention", to: "", users: 1))
            #expect(try await store.stageMoves().count == 4)
            // Someone never seen in a stage leaves none.
            _ = try await store.deleteProfile(id: "nobody", at: at(2 * 86_400))
            #expect(try await store.stageMoves().count == 4)
        }
    }
}

extension StoreContractTests {
    @Test("a visitor's exposure becomes the user's when merged (unless the user has one), and the visitor's again when undone",
          arguments: StoreKind.available)
    func mergedExposure(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            _ = try await store.saveProfile(id: "u2", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            try await store.record(impression("anon:v1", "upgrade", variant: "b", 0))
            _ = try await store.append([event("anon:v1", "order_completed", 10, [("total", 5), ("currency", "EUR")])], attributing: goals)
            try await store.record(impression("anon:v2", "upgrade", variant: "b", 0))
            try await store.record(impression("u2", "upgrade", variant: "a", 0))
            _ = try await store.identify(anonymous: "anon:v1", user: "u1", at: at(20))
            _ = try await store.identify(anonymous: "anon:v2", user: "u2", at: at(20))
            // u1 has v1's exposure (arm b) and value: their order adds to it. u2 keeps their own (arm a).
            _ = try await store.append([event("u1", "order_completed", 30, [("total", 3), ("currency", "EUR")]),
                                        event("u1", "plan_upgraded", 40), event("u2", "plan_upgraded", 40)], attributing: goals)
            // The visitor's order, still queued when they signed in, counts for the user it now belongs to.
            #expect(try await store.attributeAllQueued(goals) == 4)
            let rows = try await store.rollups(campaign: "upgrade")
            let revenue = try #require(row(rows, "revenue", Arm(variant: "b")))
            #expect(revenue.users == 1 && revenue.sum == 8 && abs(revenue.sumOfSquares - 64) < 1e-9)
            #expect(row(rows, "plan_upgraded", Arm(variant: "b"))?.sum == 1)
            #expect(row(rows, "plan_upgraded", Arm(variant: "a"))?.sum == 1)
            #expect(row(rows, "", Arm(variant: "b"))?.users == 2 && row(rows, "", Arm(variant: "a"))?.users == 1)

            // Undone: the exposure and its value (8) go back to the visitor, so the user's orders count no more and
            // the visitor's add to it again.
            _ = try await store.unlink(anonymous: "anon:v1")
            _ = try await store.append([event("u1", "order_completed", 50, [("total", 100), ("currency", "EUR")]),
                                        event("anon:v1", "order_completed", 60, [("total", 2), ("currency", "EUR")])], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 2)
            let undone = try #require(row(try await store.rollups(campaign: "upgrade"), "revenue", Arm(variant: "b")))
            #expect(undone.users == 1 && undone.sum == 10 && abs(undone.sumOfSquares - 100) < 1e-9)
            // Merged again: the exposure moves to the user once more.
            _ = try await store.identify(anonymous: "anon:v1", user: "u1", at: at(70))
            _ = try await store.append([event("u1", "order_completed", 80, [("total", 5), ("currency", "EUR")])], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 1)
            #expect(row(try await store.rollups(campaign: "upgrade"), "revenue", Arm(variant: "b"))?.sum == 15)
        }
    }

    @Test("deleting a person waits for an attribution pass that holds their events, and keeps none of its goal values",
          .enabled(if: StoreKind.postgresURL != nil))
    func deletionWaitsForAPass() async throws {
        try await withPassHeld(user: "u1", setUp: { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
        }, meanwhile: { store in
            let deleted = try await store.deleteProfile(id: "u1", at: at(20))
            #expect(deleted)
        }, then: { valueOwners in
            #expect(valueOwners.isEmpty, "the goal value the pass gave them went with them")
        })
    }

    @Test("a results request's wait returns once a pass elsewhere that holds queued events has committed",
          .enabled(if: StoreKind.postgresURL != nil))
    func resultsWaitForAPassElsewhere() async throws {
        try await withPassHeld(user: "u1", setUp: { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
        }, meanwhile: { store in
            // This instance's own pass leaves the held event to the pass that holds it, then waits for that one.
            #expect(try await store.attributeAllQueued(goals) == 0)
            try await store.awaitOtherPasses()
            // What that pass wrote is there to read.
            let left = try await store.withTransaction { connection in
                var n = 0
                for try await c in try await connection.query("SELECT count(*) FROM attribution_queue", logger: Logger(label: "test"))
                    .decode(Int.self) { n = c }
                return n
            }
            #expect(left == 0)
        }, then: { valueOwners in
            #expect(valueOwners == ["u1"])
        })
    }

    @Test("a merge waits for an attribution pass crediting the visitor, and the goal value it wrote moves to the user",
          .enabled(if: StoreKind.postgresURL != nil))
    func mergeWaitsForAPass() async throws {
        try await withPassHeld(user: "anon:v1", setUp: { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            try await store.record(impression("anon:v1", "upgrade", variant: "b", 0))
        }, meanwhile: { store in
            let merged = try await store.identify(anonymous: "anon:v1", user: "u1", at: at(20))
            #expect(merged.events == 1)
        }, then: { valueOwners in
            #expect(valueOwners == ["u1"], "one value, the user's, with the exposure it was earned under")
        })
    }

    /// An attribution pass made by hand on PostgreSQL: `user` has an order queued (after `setUp`); the pass takes it
    /// as passes do, and while it holds it `meanwhile` runs; then it writes the goal value the order earned and
    /// commits. `meanwhile` must have waited for that commit; `then` gets the users goal values are held for.
    private func withPassHeld(user: String, setUp: (PostgresStore) async throws -> Void,
                              meanwhile: @escaping @Sendable (PostgresStore) async throws -> Void,
                              then check: ([String]) -> Void) async throws
    {
        let logger = {
            var logger = Logger(label: "test")
            logger.logLevel = .error
            return logger
        }()
        let store = try PostgresStore(url: StoreKind.postgresURL!, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.dropEverything()
            try await store.migrate()
            try await setUp(store)
            _ = try await store.append([event(user, "order_completed", 10, [("total", 5), ("currency", "EUR")])], attributing: goals)

            let clock = ContinuousClock()
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let pass = Task {
                try await store.withTransaction { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock_shared(7426841, 0)", logger: logger)
                    try await connection.query("SELECT seq FROM attribution_queue ORDER BY seq FOR UPDATE SKIP LOCKED", logger: logger)
                    holding.yield()
                    try await Task.sleep(for: .milliseconds(400))
                    try await connection.query("""
                        INSERT INTO goal_values (campaign, goal, user_id, value, events) VALUES ('upgrade', 'revenue', \(user), 5, 1)
                        """, logger: logger)
                    try await connection.query("DELETE FROM attribution_queue", logger: logger)
                    // Before its commit: what waited for the pass returns after the commit, so after this.
                    return clock.now
                }
            }
            for await _ in held { break }
            try await meanwhile(store)
            let doneAt = clock.now
            let finishedAt = try await pass.value
            #expect(finishedAt < doneAt, "it waited for the pass")
            let owners = try await store.withTransaction { connection in
                var owners: [String] = []
                for try await id in try await connection.query("SELECT user_id FROM goal_values ORDER BY user_id", logger: logger)
                    .decode(String.self) { owners.append(id) }
                return owners
            }
            check(owners)
        }
    }

    /// What serving observed, stage moves, attribution passes and retention answer no caller: on PostgreSQL they commit
    /// without waiting for the WAL (as they commit on SQLite without a sync), in their own transaction only, so every
    /// write a caller is answered about still waits for it, on whichever connection it runs.
    @Test("PostgreSQL's background writes commit without waiting for the WAL and leave every other write as configured",
          .enabled(if: StoreKind.postgresURL != nil))
    func postgresBackgroundWritesLeaveWritesSynced() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        // One connection: every transaction below runs on the one the background writes ran on.
        let store = try PostgresStore(url: StoreKind.postgresURL!, logger: logger, connections: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.dropEverything()
            try await store.migrate()
            // The server's setting, whatever it is ("on" unless configured otherwise).
            let configured = try await store.commitSetting()
            #expect(try await store.backgroundCommitSetting() == "off")
            #expect(try await store.commitSetting() == configured)
            _ = try await store.append([event("anon:v", "page_viewed", 0), event("u", "page_viewed", 30), event("u", "plan_upgraded", 60)],
                                       attributing: goals)
            // Each of these is one background transaction (the counter counts those made unsynced).
            func background(_ write: () async throws -> Void) async throws -> Int {
                let before = store.backgroundWrites.load(ordering: .relaxed)
                try await write()
                return store.backgroundWrites.load(ordering: .relaxed) - before
            }
            let exposing = try await background {
                try await store.expose([Exposure(campaign: "upgrade", userId: "u", arm: Arm(variant: "a", heldOut: false), time: t0)])
            }
            #expect(exposing == 1)
            var moves: [String?] = []
            let sighting = try await background {
                moves = try await store.recordStages([StageSighting(userId: "u", stage: "activation", time: t0)])
            }
            #expect(sighting == 1)
            #expect(moves == [""])
            let pass = try await background { _ = try await store.attributeQueued(goals, limit: 10) }
            #expect(pass == 1)
            for seconds in [90.0, 100] {
                try await store.record(Interaction(userId: "u", campaign: "upgrade", channel: .banner, kind: .impression,
                                                   time: t0.addingTimeInterval(seconds), variant: "a"))
            }
            // The visitor was last seen long before: retention removes them whole, trims the user's events past one
            // and their impressions past one; the pass's first step also forgets old removals. Four background
            // transactions.
            var step = PruneStep(next: nil)
            let retention = try await background {
                step = try await store.prune(after: "", subjects: 10,
                                             Retention(eventsPerUser: 1, visitorsBefore: Date(), interactionsPerKind: 1))
            }
            #expect(retention == 4)
            #expect(step.visitors == 1)
            #expect(step.events == 1)
            #expect(step.interactions == 1)
            // A write answered to its caller is not one.
            let answered = try await background { _ = try await store.append([event("u", "page_viewed", 120)], attributing: goals) }
            #expect(answered == 0)
            #expect(try await store.commitSetting() == configured)
            // What they wrote was kept.
            #expect(try await store.rollups(campaign: "upgrade").contains { $0.goal.isEmpty && $0.users == 1 })
            #expect(try await store.recordedStage(userId: "u") == "activation")
            #expect(try await store.profile(id: "anon:v", eventLimit: 10) == nil)
        }
    }

    @Test("a visitor's event that a merge keeps once (the user has its message id) is counted once", arguments: StoreKind.available)
    func mergedDuplicateCountsOnce(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject()), timeZone: nil, at: at(0))
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
            // The same order reported for the visitor (from the page) and for the user (from the shop's backend).
            let order: [(String, Value)] = [("total", 5), ("currency", "EUR")]
            _ = try await store.append([event("u1", "order_completed", 10, order, message: "order-1")], attributing: goals)
            _ = try await store.append([event("anon:v1", "order_completed", 10, order, message: "order-1"),
                                        event("anon:v1", "order_completed", 11, [("total", 2), ("currency", "EUR")], message: "order-2")],
                                       attributing: goals)
            let merged = try await store.identify(anonymous: "anon:v1", user: "u1", at: at(20))
            #expect(merged.events == 1, "order-1 is the user's already")
            _ = try await store.attributeAllQueued(goals)
            let revenue = try #require(row(try await store.rollups(campaign: "upgrade"), "revenue", Arm(variant: "a")))
            #expect(revenue.users == 1 && revenue.sum == 7 && abs(revenue.sumOfSquares - 49) < 1e-9)
        }
    }
}

@Suite("SQLite goal value log")
struct GoalValueLogTests {
    /// Passes append values to a log that is folded into the table later; a value must be read from wherever it is
    /// (the log as committed, kept in memory and read again when the file is opened, or the table), and a conversion
    /// counted once wherever it was kept.
    @Test("values written to the log are found after the file is opened again, and after a fold; conversions count once")
    func valuesAcrossReopenAndFold() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-value-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        func order(_ total: Int, _ seconds: Double) -> UserEvent {
            event("u1", "order_completed", seconds, [("total", .int(total)), ("currency", "EUR")])
        }
        func revenue(_ store: SQLiteStore) async throws -> Rollup {
            try #require(row(try await store.rollups(campaign: "upgrade"), "revenue", Arm(variant: "a")))
        }
        do {
            let store = try SQLiteStore(path: path)
            try await store.record(impression("u1", "upgrade", variant: "a", 0))
            _ = try await store.append([order(5, 10), event("u1", "plan_upgraded", 11)], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 2)
        }
        do {
            // Opened again: the log's values are read back, so this order adds to 5 (and the upgrade counted is not
            // counted again).
            let store = try SQLiteStore(path: path)
            _ = try await store.append([order(3, 20), event("u1", "plan_upgraded", 21)], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 2)
            let r = try await revenue(store)
            #expect(r.users == 1 && r.sum == 8 && abs(r.sumOfSquares - 64) < 1e-9)
            // The log holds both of the values written (the conversion once), then the table does.
            #expect(try await store.foldGoalValues() == 3)
            #expect(try await store.foldGoalValues() == 0)
            _ = try await store.append([order(2, 30), event("u1", "plan_upgraded", 31)], attributing: goals)
            #expect(try await store.attributeAllQueued(goals) == 2)
        }
        let store = try SQLiteStore(path: path)
        _ = try await store.append([order(10, 40)], attributing: goals)
        #expect(try await store.attributeAllQueued(goals) == 1)
        let rows = try await store.rollups(campaign: "upgrade")
        let r = try #require(row(rows, "revenue", Arm(variant: "a")))
        #expect(r.users == 1 && r.sum == 20 && abs(r.sumOfSquares - 400) < 1e-9)
        #expect(row(rows, "plan_upgraded", Arm(variant: "a"))?.sum == 1)
        // A removal takes the values from both places: a new exposure starts from nothing. (The log holds a row for
        // each value written: two, of one key.)
        #expect(try await store.foldGoalValues() == 2)
        _ = try await store.append([order(4, 50)], attributing: goals)
        #expect(try await store.attributeAllQueued(goals) == 1)
        _ = try await store.deleteProfile(id: "u1", at: at(60))
        try await store.record(impression("u1", "upgrade", variant: "a", 70))
        _ = try await store.append([order(6, 80)], attributing: goals)
        #expect(try await store.attributeAllQueued(goals) == 1)
        let after = try await revenue(store)
        // 24 for the removed user, kept in the counts; 6 for the new exposure, added as a new user's value.
        #expect(after.users == 2 && after.sum == 30 && abs(after.sumOfSquares - (576 + 36)) < 1e-9)
    }
}

extension GoalValueLogTests {
    private static func store(_ folder: URL) throws -> SQLiteStore {
        try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path)
    }

    private static func order(_ user: String, _ total: Int, _ seconds: Double) -> UserEvent {
        event(user, "order_completed", seconds, [("total", .int(total)), ("currency", "EUR")])
    }

    @Test("retention's removal of an expired visitor takes their values from the log: a new exposure starts from nothing")
    func pruneTakesLoggedValues() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-value-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Self.store(folder)
        // A removal is dated now, and what is seen of a user before their removal is not written after it: the
        // visitor's first life is long ago, the second after the pass.
        let long = Date().timeIntervalSince(t0) - 200 * 86_400
        try await store.record(impression("anon:v", "upgrade", variant: "a", long))
        _ = try await store.append([Self.order("anon:v", 5, long + 10)], attributing: goals)
        #expect(try await store.attributeAllQueued(goals) == 1)
        // Unseen for 200 days: expired. Its value is only in the log.
        let step = try await store.prune(after: "", subjects: 10, Retention(visitorsBefore: at(long + 100 * 86_400)))
        #expect(step.visitors == 1)
        // Seen again: a new exposure, and its order a new user's value (5 and 3, not 8).
        let later = Date().timeIntervalSince(t0) + 60
        try await store.record(impression("anon:v", "upgrade", variant: "a", later))
        _ = try await store.append([Self.order("anon:v", 3, later + 10)], attributing: goals)
        #expect(try await store.attributeAllQueued(goals) == 1)
        let rows = try await store.rollups(campaign: "upgrade").filter { $0.goal == "revenue" && $0.arm == Arm(variant: "a") }
        #expect(rows.map(\.users).reduce(0, +) == 2 && rows.map(\.sum).reduce(0, +) == 8)
        #expect(abs(rows.map(\.sumOfSquares).reduce(0, +) - 34) < 1e-9)
        // Nothing of the removed visitor's was left to fold: the log holds the new value only.
        #expect(try await store.foldGoalValues() == 1)
    }

    /// One process should write an SQLite file; a second one by mistake must not make the first lose values.
    @Test("a second store on the same file reads the values the first one logged since it last looked")
    func anotherWriterIsSeen() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-value-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.store(folder)
        let second = try Self.store(folder)
        try await first.record(impression("u1", "upgrade", variant: "a", 0))
        // The second has read the log (empty) before the first writes to it.
        #expect(try await second.foldGoalValues() == 0)
        _ = try await first.append([Self.order("u1", 5, 10)], attributing: goals)
        #expect(try await first.attributeAllQueued(goals) == 1)
        _ = try await second.append([Self.order("u1", 3, 20)], attributing: goals)
        #expect(try await second.attributeAllQueued(goals) == 1)
        let revenue = try #require(row(try await first.rollups(campaign: "upgrade"), "revenue", Arm(variant: "a")))
        #expect(revenue.users == 1 && revenue.sum == 8 && abs(revenue.sumOfSquares - 64) < 1e-9)
        // And the first sees the second's in turn.
        _ = try await first.append([Self.order("u1", 2, 30)], attributing: goals)
        #expect(try await first.attributeAllQueued(goals) == 1)
        let after = try #require(row(try await second.rollups(campaign: "upgrade"), "revenue", Arm(variant: "a")))
        #expect(after.users == 1 && after.sum == 10 && abs(after.sumOfSquares - 100) < 1e-9)
    }
}
