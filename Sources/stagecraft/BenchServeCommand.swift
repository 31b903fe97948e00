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

    func run() async throws {
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

    private func micro(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }
}
