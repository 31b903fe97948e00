import ArgumentParser
import Delivery
import Foundation
import Liquid
import Localization
import Logging
import Personalization
import SQLiteStorage
import StagecraftServer
import Storage

/// `stagecraft bench-serve`: the banner route's stages timed in-process, one thread, over the sample content and
/// a SQLite store: read the user, facts and stage, decision, render and check, the JSON answer.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-serve",
        abstract: "Time the stages of serving a block (store read, user moment, decision, render + check, JSON).")

    @Option(name: .long, help: "The content folder.")
    var templates = "templates"

    @Option(name: .long, help: "The placement.")
    var placement = "home-hero"

    @Option(name: .long, help: "Events stored for the user.")
    var events = 40

    @Flag(name: .long, help: "Read through the server's cache of parsed users (as `serve` does with SQLite).")
    var cache = false

    @Option(name: .long, help: "Iterations.")
    var iterations = 20_000

    @Option(name: .long, help: "The user's locale (a BCP 47 tag).")
    var locale: String?

    @Option(name: .long, help: ArgumentHelp(
        "Another content folder (FOLDER or FOLDER:LOCALE) to time beside --templates (repeatable).",
        discussion: "The decision + render + HTML check stage only, for each folder in turn in batches of 500 in this one process, so a busy machine slows them alike; each is printed with its ratio to --templates (the median of the batches' ratios)."))
    var compare: [String] = []

    func run() async throws {
        if !compare.isEmpty { return try await runComparison() }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let content = try ContentState(directory: templates, logger: logger)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path)
        let store: any Store = cache ? CachedStore(sqlite, capacity: 1_000_000, eventLimit: 5000) : sqlite
        let now = Date()
        _ = try await store.saveProfile(id: "42", traits: .replace(LiquidObject([("first_name", "Ada"), ("plan", "pro"), ("activated", true)])),
                                        timeZone: "Europe/Paris", locale: locale.map { try LocaleTag(parsing: $0).identifier }, at: now)
        _ = try await store.append((0..<events).map {
            UserEvent(userId: "42", event: Event(name: "product_viewed", time: now.addingTimeInterval(Double(-$0 * 60)),
                                                 properties: LiquidObject([("sku", .string("SKU-\($0)"))])))
        })
        let loaded = content.current
        var t = [Duration](repeating: .zero, count: 4)
        let clock = ContinuousClock()
        var bytes = 0
        for _ in 0..<iterations {
            var mark = clock.now
            func lap(_ i: Int) {
                let n = clock.now
                t[i] += n - mark
                mark = n
            }
            let (profile, history) = try await store.snapshot(userId: "42", eventLimit: 5000)
            lap(0)
            let user = UserMoment(profile: profile!, now: now, stageRules: loaded.content.stageRules)
            lap(1)
            let outcome = loaded.delivery.deliver(.placement(placement), to: user, history: history)[0]
            lap(2)
            var html = ""
            if case .block(let block)? = outcome.output { html = block.html }
            let json = JSON.serialize(.object(LiquidObject([("html", .string(html))])))
            bytes += json.utf8.count
            lap(3)
        }
        let names = ["store read (profile, events, ledger)", "user moment (facts, stage)", "decision + render + HTML check", "JSON answer"]
        var total = Duration.zero
        for (i, name) in names.enumerated() {
            total += t[i]
            print(String(format: "%-40@ %8.1f µs", name as NSString, micro(t[i]) / Double(iterations)))
        }
        print(String(format: "%-40@ %8.1f µs  (%.0f per second on one core)", "all" as NSString, micro(total) / Double(iterations),
                     Double(iterations) / (micro(total) / 1e6)))
        _ = bytes
    }

    /// `--compare`: the serving stage of several content folders, alternating batches, with ratios to the first.
    private func runComparison() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = CachedStore(try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path), capacity: 1_000_000, eventLimit: 5000)
        let now = Date()
        struct Contestant {
            let name: String
            let content: ContentState
            let user: UserMoment
            let history: InteractionHistory
        }
        var contestants: [Contestant] = []
        for (i, spec) in ([templates + (locale.map { ":" + $0 } ?? "")] + compare).enumerated() {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            let tag = try parts.count > 1 ? LocaleTag(parsing: parts[1]) : nil
            let content = try ContentState(directory: parts[0], logger: logger)
            let id = "bench-\(i)"
            _ = try await store.saveProfile(id: id, traits: .replace(LiquidObject([("first_name", "Ada"), ("plan", "pro"), ("activated", true)])),
                                            timeZone: "Europe/Paris", locale: tag?.identifier, at: now)
            _ = try await store.append((0..<events).map {
                UserEvent(userId: id, event: Event(name: "product_viewed", time: now.addingTimeInterval(Double(-$0 * 60)),
                                                   properties: LiquidObject([("sku", .string("SKU-\($0)"))])))
            })
            let (profile, history) = try await store.snapshot(userId: id, eventLimit: 5000)
            let user = UserMoment(profile: profile!, now: now, stageRules: content.current.content.stageRules)
            contestants.append(Contestant(name: spec, content: content, user: user, history: history))
        }
        let batch = 500, rounds = max(1, iterations / batch)
        let clock = ContinuousClock()
        var totals = [Duration](repeating: .zero, count: contestants.count)
        var ratios = [[Double]](repeating: [], count: contestants.count)
        var bytes = 0
        for round in 0..<rounds {
            var times = [Duration](repeating: .zero, count: contestants.count)
            // Each round starts with another contestant, so none always runs right after the same one.
            for k in 0..<contestants.count {
                let i = (round + k) % contestants.count
                let c = contestants[i], delivery = c.content.current.delivery
                let start = clock.now
                for _ in 0..<batch {
                    if case .block(let block)? = delivery.deliver(.placement(placement), to: c.user, history: c.history)[0].output {
                        bytes += block.html.utf8.count
                    }
                }
                times[i] = clock.now - start
            }
            for i in contestants.indices {
                totals[i] += times[i]
                ratios[i].append(micro(times[i]) / micro(times[0]))
            }
        }
        print("decision + render + HTML check, µs per block (\(rounds) batches of \(batch) each, alternating):")
        for (i, c) in contestants.enumerated() {
            let sorted = ratios[i].sorted()
            print("  " + c.name.padding(toLength: max(44, c.name.count), withPad: " ", startingAt: 0)
                + String(format: " %8.2f µs   %.3f x", micro(totals[i]) / Double(rounds * batch), sorted[sorted.count / 2]))
        }
        _ = bytes
    }

    private func micro(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }
}
