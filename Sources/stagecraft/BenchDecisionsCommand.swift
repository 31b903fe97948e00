import ArgumentParser
import Foundation
import Liquid
import Personalization

/// `stagecraft bench-decisions`: decisions per second for one placement with many campaigns, and recommendations
/// per second over a large catalog, on one thread.
struct BenchDecisionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-decisions",
        abstract: "Time decisions (placement with --campaigns campaigns, users with --events events) and recommendations."
    )

    @Option(name: .long, help: "Campaigns competing for the placement.")
    var campaigns: Int = 100

    @Option(name: .long, help: "Distinct users (decided for in turn).")
    var users: Int = 200

    @Option(name: .long, help: "Events per user.")
    var events: Int = 1000

    @Option(name: .long, help: "Catalog items.")
    var items: Int = 10_000

    @Option(name: .long, help: "Seconds per measurement.")
    var seconds: Double = 3

    @Option(name: .long, help: "Time only this part, for profiling: moment (facts, stage) or arbitration.")
    var only: String?

    func run() throws {
        let setupStart = ContinuousClock.now
        let world = DecisionWorkload(campaignCount: campaigns, userCount: users, eventsPerUser: events, catalogSize: items)
        let engine = DecisionEngine(campaigns: world.campaigns, stageRules: world.stageRules)
        let recommender = Recommender(catalog: world.catalog, rules: world.rules)
        print("setup_seconds: \(String(format: "%.2f", (ContinuousClock.now - setupStart).seconds))")
        print("campaigns: \(campaigns)  users: \(users)  events_per_user: \(events)  catalog_items: \(items)")

        var sink = 0
        // What the decisions were: proof that the work is real, and a picture of the workload.
        var outcomes: [String: Int] = [:]
        var winners = 0
        for (profile, history) in zip(world.users, world.histories) {
            let user = UserMoment(profile: profile, now: world.now, stageRules: world.stageRules)
            let d = engine.decide(placement: DecisionWorkload.placement, for: user, history: history)
            if d.selection != nil { winners += 1 }
            for t in d.trace { outcomes[t.rejection?.code ?? "chosen", default: 0] += 1 }
        }
        print("users_with_a_winner: \(winners) of \(users)")
        print("candidate_outcomes: " + outcomes.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))

        if let only {
            let moments = world.users.map { UserMoment(profile: $0, now: world.now, stageRules: world.stageRules) }
            let start = ContinuousClock.now
            var n = 0
            while (ContinuousClock.now - start).seconds < seconds {
                for (i, profile) in world.users.enumerated() {
                    if only == "moment" {
                        sink &+= UserMoment(profile: profile, now: world.now, stageRules: world.stageRules).facts.orderCount
                    } else {
                        sink &+= engine.decide(placement: DecisionWorkload.placement, for: moments[i], history: world.histories[i]).trace.count
                    }
                }
                n += users
            }
            print("\(only): \(String(format: "%.2f", (ContinuousClock.now - start).seconds * 1e6 / Double(n))) µs each \(sink == 42 ? "" : "")")
            return
        }

        // Whole decisions: facts from the events, stage, then the candidates, as a request does. First with every
        // candidate checked and its outcome kept; then the same with every outcome spelled out as a rejection and its
        // code read (what a preview's trace does); then stopping at the winner and two fallbacks (the serving path).
        var count = 0
        var start = ContinuousClock.now
        var elapsed = 0.0
        let runs: [(String, DecisionEngine.Depth, Bool)] = [
            ("full_trace", .full, false), ("full_trace_spelled_out", .full, true), ("winner_and_2_fallbacks", .winner(fallbacks: 2), false),
        ]
        for (label, depth, spelled) in runs {
            count = 0
            start = ContinuousClock.now
            elapsed = 0
            while elapsed < seconds {
                for (profile, history) in zip(world.users, world.histories) {
                    let user = UserMoment(profile: profile, now: world.now, stageRules: world.stageRules)
                    let d = engine.decide(placement: DecisionWorkload.placement, for: user, history: history, depth: depth)
                    sink &+= d.trace.count &+ (d.selection?.campaign.priority ?? 0)
                    if spelled {
                        for t in d.trace { sink &+= t.rejection?.code.utf8.count ?? 0 }
                    }
                }
                count += users
                elapsed = (ContinuousClock.now - start).seconds
            }
            print("decisions_per_second (\(label)): \(String(format: "%.0f", Double(count) / elapsed))  (\(String(format: "%.1f", elapsed * 1e6 / Double(count))) µs each)")
        }

        // The two halves apart: the user's moment (facts, stage, attributes), then arbitration alone.
        start = ContinuousClock.now
        count = 0
        elapsed = 0
        while elapsed < seconds / 2 {
            for profile in world.users {
                let user = UserMoment(profile: profile, now: world.now, stageRules: world.stageRules)
                sink &+= user.facts.orderCount
            }
            count += users
            elapsed = (ContinuousClock.now - start).seconds
        }
        let momentMicros = elapsed * 1e6 / Double(count)
        let moments = world.users.map { UserMoment(profile: $0, now: world.now, stageRules: world.stageRules) }
        start = ContinuousClock.now
        count = 0
        elapsed = 0
        while elapsed < seconds / 2 {
            for (user, history) in zip(moments, world.histories) {
                let d = engine.decide(placement: DecisionWorkload.placement, for: user, history: history)
                sink &+= d.trace.count
            }
            count += users
            elapsed = (ContinuousClock.now - start).seconds
        }
        print("breakdown: user moment \(String(format: "%.1f", momentMicros)) µs, arbitration \(String(format: "%.1f", elapsed * 1e6 / Double(count))) µs")

        // Recommendations: each strategy over the catalog for each user.
        var total = 0
        var totalSeconds = 0.0
        var line: [String] = []
        for rule in world.rules {
            var n = 0
            var returned = 0
            start = ContinuousClock.now
            elapsed = 0
            while elapsed < seconds / Double(world.rules.count) {
                for user in moments {
                    returned += recommender.recommend(rule.name, for: user)?.count ?? 0
                }
                n += moments.count
                elapsed = (ContinuousClock.now - start).seconds
            }
            sink &+= returned
            total += n
            totalSeconds += elapsed
            line.append("\(rule.name)=\(String(format: "%.0f", Double(n) / elapsed))/s (avg \(String(format: "%.1f", Double(returned) / Double(n))) items)")
        }
        print("recommendations_per_second: \(String(format: "%.0f", Double(total) / totalSeconds))  (all strategies, \(items) items)")
        print("by_strategy: " + line.joined(separator: "  "))
        if sink == 42 { print("") }
    }
}
