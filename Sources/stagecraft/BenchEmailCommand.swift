import ArgumentParser
import Content
import Delivery
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// `stagecraft bench-email`: whole emails per second on one thread, over the content folder's email messages and
/// sample profiles: the decision, the render (with its layout and partials), the HTML check, CSS inlining, link
/// parameters, the plain-text version and the headers. Every email is produced in full; a checksum of the output
/// of one pass is printed, the same for the same content and moment.
struct BenchEmailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-email",
        abstract: "Time whole emails (decide, render, check, inline CSS, decorate links, plain text) on one thread.")

    @Option(name: .long, help: "The content folder.")
    var templates = "templates"

    @Option(name: .long, help: "Seconds to run (after a warm-up pass).")
    var seconds = 5.0

    @Option(name: .long, help: "The moment to render at (ISO 8601).")
    var at = "2026-11-23T10:00:00Z"

    func run() throws {
        guard let now = Timestamp.parse(at) else { throw ValidationError("--at wants an ISO 8601 time") }
        let delivery = try DeliveryContent.load(directory: templates, loadedAt: now)
        let content = delivery.content
        let emails = content.messages.values.filter { $0.campaign.channel == .email }.sorted { $0.name < $1.name }
        let users = content.profiles.keys.sorted().map {
            UserMoment(profile: content.profiles[$0]!, now: now, stageRules: content.stageRules)
        }
        guard !emails.isEmpty, !users.isEmpty else { throw ValidationError("the folder needs email messages and sample profiles") }
        let pairs = emails.flatMap { m in users.map { (m, $0) } }
        var checksum: UInt64 = 0
        var summing = true
        var count = 0
        var bytes = 0
        var failures = 0
        let history = InteractionHistory()
        func one(_ message: MessageTemplate, _ user: UserMoment) {
            // As the email route renders one: decided, and rendered whether or not it is eligible now.
            let outcome = delivery.deliver(.message(message), to: user, history: history, options: DeliveryOptions(renderRejected: true))[0]
            let decision = outcome.decision
            switch (outcome.failures.isEmpty, outcome.output) {
            case (true, .email(let email, _)?):
                bytes += email.html.utf8.count
                if summing {
                    for b in email.html.utf8 { checksum = (checksum ^ UInt64(b)) &* 0x100_0000_01b3 }
                    for b in email.text.utf8 { checksum = (checksum ^ UInt64(b)) &* 0x100_0000_01b3 }
                    checksum = checksum &+ UInt64(decision.trace.count)
                }
            default:
                failures += 1
            }
            count += 1
        }
        // The warm-up pass: every email once, summed (the same content and moment give the same checksum).
        for (m, u) in pairs { one(m, u) }
        summing = false
        count = 0
        bytes = 0
        failures = 0
        let clock = ContinuousClock()
        let start = clock.now
        let limit = Duration.milliseconds(Int(seconds * 1000))
        while clock.now - start < limit {
            for (m, u) in pairs { one(m, u) }
        }
        let elapsed = clock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("emails:       \(emails.count) messages x \(users.count) sample profiles")
        print("rendered:     \(count) emails in \(String(format: "%.2f", secs)) s, \(failures) failed")
        print("throughput:   \(Int(Double(count) / secs)) emails/s on one thread (\(String(format: "%.1f", secs / Double(count) * 1e6)) µs each)")
        print("average HTML: \(bytes / max(count, 1)) bytes")
        print("checksum:     \(String(checksum, radix: 16)) (of one pass)")
    }
}
