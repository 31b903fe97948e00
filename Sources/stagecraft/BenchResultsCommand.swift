import ArgumentParser
import Foundation
import Liquid
import Logging
import Personalization
import PostgresStorage
import SQLiteStorage
import StagecraftServer
import Storage

/// `stagecraft bench-results`: a campaign's results over many exposed users, and what goal rollups add to the cost
/// of recording events, on a fresh database (SQLite, or PostgreSQL when --database names one).
struct BenchResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-results",
        abstract: "Time campaign results over --users exposed users, and event recording with and without goal rollups."
    )

    @Option(name: .long, help: "Users exposed to the campaign (spread over 30 days and its arms).")
    var users = 1_000_000

    @Option(name: .long, help: "Events per round of the event-cost measurement (each mode, each round).")
    var events = 20_000

    @Option(name: .long, help: "Rounds of the event-cost measurement; the modes alternate.")
    var rounds = 5

    @Option(name: .long, help: "Events per batch (one write each, as one POST /v1/events).")
    var batch = 100

    @Option(name: .long, help: "Queued events per attribution pass (one write each; the server's passes take up to 5,000).")
    var pass = 5_000

    @Option(name: .long, help: "The share of events that are goal events of exposed users in the mixed stream, spread evenly through it (the rest are product views); a stream of goal events only is measured too.")
    var goalShare = 0.05

    @Option(name: .long, help: "A fresh SQLite file (made in a temporary folder by default), or postgres://... (its tables are dropped first).")
    var database: String?

    @Option(name: .long, help: "SQLite: how many goal values the passes log before one folds them into their table (the server's by default).")
    var foldSize = SQLiteStore.defaultGoalValueLog

    func validate() throws {
        guard foldSize >= 1 else { throw ValidationError("--fold-size takes a count from 1") }
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        if let url = database, url.hasPrefix("postgres") {
            let store = try PostgresStore(url: url, logger: logger, connections: 4)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                try await store.dropEverything()
                try await store.migrate()
                try await measure(store, kind: "postgresql")
                group.cancelAll()
            }
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-bench-results-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = database ?? folder.appendingPathComponent("bench.sqlite").path
            try? FileManager.default.removeItem(atPath: path)
            try await measure(try SQLiteStore(path: path, goalValueLog: foldSize), kind: "sqlite")
        }
    }

    /// The campaign the bench exposes users to: two variants and a holdout, a conversion goal and a revenue goal.
    static let campaign: Campaign = {
        var c = Campaign(id: "bench-upgrade", template: "bench-upgrade", channel: Channel(rawValue: "email")!,
                         variants: [Variant(key: "plain"), Variant(key: "story")], holdout: 0.1)
        c.goals = [Goal(event: "plan_upgraded", within: 14 * 86_400, isPrimary: true),
                   Goal(name: "revenue", event: "order_completed", within: 14 * 86_400, measure: .value(["total"]))]
        return c
    }()

    func measure(_ store: any Store, kind: String) async throws {
        let campaign = Self.campaign
        let goals = GoalIndex([campaign])
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        print("store: \(kind)  users: \(users)  batch: \(batch)")

        // Exposures: 30 days, each user in their arm (the holdout by its share, then the split).
        var clock = ContinuousClock.now
        var list: [Exposure] = []
        list.reserveCapacity(10_000)
        for i in 0..<users {
            let id = "u\(i)"
            let arm: Arm = Bucketing.hash(seed: campaign.id + ":holdout", value: id, version: 2).map { $0 < campaign.holdout } == true
                ? .holdout : Arm(variant: DecisionEngine.variant(of: campaign, for: id))
            list.append(Exposure(campaign: campaign.id, userId: id, arm: arm, time: start.addingTimeInterval(Double(i % 30) * 86_400 + Double(i % 997))))
            if list.count == 10_000 || i == users - 1 {
                try await store.expose(list)
                list.removeAll(keepingCapacity: true)
            }
        }
        let exposing = (ContinuousClock.now - clock)
        print("exposed: \(users) users in \(format(exposing.seconds)) s (\(Int(Double(users) / exposing.seconds)) exposures/s)")

        // Goal events for one user in ten, through the attributing write, so results have something to say.
        clock = ContinuousClock.now
        var converted = 0
        var pending: [UserEvent] = []
        for i in stride(from: 0, to: users, by: 10) {
            let t = start.addingTimeInterval(Double(i % 30) * 86_400 + 3_600)
            pending.append(UserEvent(userId: "u\(i)", event: Event(name: "plan_upgraded", time: t)))
            pending.append(UserEvent(userId: "u\(i)", event: Event(name: "order_completed", time: t,
                                                                    properties: LiquidObject([("total", .double(Double(20 + i % 80)))]))))
            converted += 1
            if pending.count >= 1_000 {
                _ = try await store.append(pending, attributing: goals)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { _ = try await store.append(pending, attributing: goals) }
        try await store.attributeAllQueued(goals)
        print("goal events: \(converted * 2) for \(converted) users in \(format((ContinuousClock.now - clock).seconds)) s")

        // Results: the rollups read and the whole answer made, as the route does (the first call apart: it pays for
        // what a process does once).
        var times: [Double] = []
        var size = 0
        for _ in 0...30 {
            let t0 = ContinuousClock.now
            let rows = try await store.rollups(campaign: campaign.id)
            let text = JSON.serialize(CampaignResults(campaign: campaign, rollups: rows).value)
            times.append((ContinuousClock.now - t0).seconds * 1000)
            size = text.utf8.count
        }
        let results = CampaignResults(campaign: campaign, rollups: try await store.rollups(campaign: campaign.id))
        let firstCall = times.removeFirst()
        times.sort()
        print("results: exposed \(results.arms.map(\.exposed).reduce(0, +)) over \(results.arms.count) arms; answer \(size) bytes; "
            + "first call \(format(firstCall)) ms; then median \(format(times[times.count / 2])) ms, max \(format(times.last!)) ms (30 runs)")

        // Event cost: batches of events for exposed users, with the goals given (kept, queued, then attributed by
        // passes of --pass events, as the server does a moment later, all timed) and without (kept only). The modes
        // alternate, the first of each round in turn, and each round's two times make one ratio: the machine's noise
        // falls on both sides of it. Measured for a stream of goal events only (the worst case) and for a stream where
        // --goal-share of them are, spread evenly through it. The writes alone (kept and queued) are timed too.
        // On SQLite, passes write goal values to a log that a pass folds into their table once it is full: each
        // measurement starts with the log empty and ends with a fold of what is left, timed and charged to its
        // rounds evenly, so that every value written is paid for where it lands. A fold's cost grows much more slowly
        // than its rows, so charging a partial fold in full charges more than the server pays, which folds
        // --fold-size rows at once: the log is then filled to that size (untimed, goal events of other exposed users)
        // and folded, timed, and the rows the rounds left are charged at that fold's cost per row, printed beside.
        let sqlite = store as? SQLiteStore
        var next = 1
        func stream(_ count: Int, every: Int) -> [UserEvent] {
            var made: [UserEvent] = []
            made.reserveCapacity(count)
            for k in 0..<count {
                let i = (next &* 7_919) % users
                next += 1
                let t = start.addingTimeInterval(Double(i % 30) * 86_400 + 7_200)
                let goal = k % every == 0
                made.append(UserEvent(userId: "u\(i)", event: Event(
                    name: goal ? "order_completed" : "product_viewed", time: t,
                    properties: goal ? LiquidObject([("total", .double(Double(5 + i % 50)))]) : LiquidObject([("sku", .string("SKU-\(i % 5_000)"))]))))
            }
            return made
        }
        for share in [1.0, goalShare] {
            _ = try await sqlite?.foldGoalValues()
            var rates: [Bool: [Double]] = [true: [], false: []]
            var times: [(attributing: Double, keptOnly: Double, written: Double, passes: Double)] = []
            var passSeconds = 0.0
            var passTaken = 0
            let every = max(1, Int((1 / share).rounded()))
            for round in 0..<rounds {
                var seconds: [Bool: Double] = [:]
                var written = 0.0
                var passing = 0.0
                for attributing in round % 2 == 0 ? [true, false] : [false, true] {
                    let made = stream(events, every: every)
                    let t0 = ContinuousClock.now
                    for k in stride(from: 0, to: made.count, by: batch) {
                        _ = try await store.append(Array(made[k..<min(k + batch, made.count)]), attributing: attributing ? goals : .none)
                    }
                    if attributing {
                        let t1 = ContinuousClock.now
                        written = (t1 - t0).seconds
                        passTaken += try await store.attributeAllQueued(goals, limit: pass)
                        passing = (ContinuousClock.now - t1).seconds
                        passSeconds += passing
                    }
                    seconds[attributing] = (ContinuousClock.now - t0).seconds
                }
                times.append((seconds[true]!, seconds[false]!, written, passing))
            }
            // What the log holds since the last fold (the passes may have folded on their own, timed with them).
            let t0 = ContinuousClock.now
            let folded = try await sqlite?.foldGoalValues() ?? 0
            let fold = (ContinuousClock.now - t0).seconds
            var fullFold: (rows: Int, seconds: Double)?
            if let sqlite {
                // Goal events only, one pass each, never past the fold size: a pass folds at its start once the log
                // is full, and this fold is the one to time. (The measurement after this one starts with these
                // values in the table.)
                while let logged = sqlite.goalValueLogRows, logged < foldSize {
                    let count = min(1_000, foldSize - logged)
                    _ = try await store.append(stream(count, every: 1), attributing: goals)
                    _ = try await store.attributeQueued(goals, limit: count)
                    guard sqlite.goalValueLogRows ?? 0 > logged else { throw StoreError("goal events of exposed users logged no values") }
                }
                let t1 = ContinuousClock.now
                let rows = try await sqlite.foldGoalValues()
                fullFold = (rows, (ContinuousClock.now - t1).seconds)
            }
            // Each round's ratio of its time with goals (a fold's time charged evenly to the rounds) to its time without,
            // and the same for the passes alone: what they add, apart from the writes' own noise (the queue rows are
            // what that leaves out); with the passes' time per goal event.
            func charged(_ fold: Double) -> (ratios: [Double], passShares: [Double], perGoalEvent: Double) {
                (times.map { ($0.attributing + fold / Double(rounds)) / $0.keptOnly },
                 times.map { ($0.passes + fold / Double(rounds)) / $0.keptOnly },
                 (passSeconds + fold) / Double(max(passTaken, 1)))
            }
            if let fullFold {
                // Charged per row at the cost of a fold the server makes, and printed before the figures of this
                // measurement's own last fold (below), which charge it in full.
                let perRow = fullFold.seconds / Double(max(fullFold.rows, 1))
                let (ratios, passShares, perGoalEvent) = charged(perRow * Double(folded))
                print("events, \(format(share * 100))% goal events, folds of \(fullFold.rows) log rows as the server makes them "
                    + "(\(format(fullFold.seconds * 1000)) ms, \(format(perRow * 1e6)) µs a row; "
                    + "the \(folded) rows the rounds left charged at that cost): attribution adds \(format((median(ratios) - 1) * 100))% "
                    + "(\(format((ratios.min()! - 1) * 100)) to \(format((ratios.max()! - 1) * 100))%); the passes alone: "
                    + "+\(format(median(passShares) * 100))% (\(format(passShares.min()! * 100)) to \(format(passShares.max()! * 100))%), "
                    + "\(format(perGoalEvent * 1e6)) µs per goal event")
            }
            for t in times {
                rates[true]!.append(Double(events) / (t.attributing + fold / Double(rounds)))
                rates[false]!.append(Double(events) / t.keptOnly)
            }
            let (ratios, passShares, perGoalEvent) = charged(fold)
            let writeRatios = times.map { $0.written / $0.keptOnly }
            print("events, \(format(share * 100))% goal events of exposed users: kept only \(Int(median(rates[false]!)))/s; "
                + "kept, queued and attributed \(Int(median(rates[true]!)))/s (medians of \(rounds) rounds); "
                + "attribution adds \(format((median(ratios) - 1) * 100))% to an event's cost (median of the rounds' ratios, "
                + "\(format((ratios.min()! - 1) * 100)) to \(format((ratios.max()! - 1) * 100))%; "
                + "the writes alone, kept and queued: \(format((median(writeRatios) - 1) * 100))%; "
                + "the passes alone: +\(format(median(passShares) * 100))% (\(format(passShares.min()! * 100)) to "
                + "\(format(passShares.max()! * 100))%), \(format(perGoalEvent * 1e6)) µs per goal event"
                + (sqlite == nil ? ")" : ", the last fold of \(folded) log rows \(format(fold * 1000)) ms among them)"))
        }
    }

    private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    private func format(_ x: Double) -> String { String(format: "%.2f", x) }
}
