import Delivery
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

/// A render runs on the render threads under the request's deadline: a slow template ends in `render_timeout` at
/// its line, the next eligible block or the default is served instead, and other requests keep being answered.
@Suite struct RenderLimitTests {
    /// About a million loop turns of cheap work: under every resource limit, but far longer than a few milliseconds.
    static let slowBody = "{% for i in (1..1000) %}{% for j in (1..999) %}{% assign t = j | plus: i %}{% endfor %}{% endfor %}"

    static func files(extra: [String: String]) -> [String: String] {
        Fixture.files.merging(extra) { $1 }
    }

    @Test("a preview past the deadline reports render_timeout at the template line that was running")
    func previewTimesOut() async throws {
        let h = try Harness(renderTimeout: .milliseconds(5))
        let source = "---\ncampaign: slow\nchannel: banner\nplacement: home-hero\n---\n<p>x</p>\n\(Self.slowBody)\n"
        try await h.test { client in
            let body = JSON.serialize(.object(LiquidObject([("template", "banners/slow"), ("source", .string(source))])))
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(body)) { r in
                #expect(r.status == .ok)
                #expect(r.json["ok"].map(JSON.serialize) == "false")
                let first = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(first?["code"]?.stringValue == "render_timeout")
                #expect(first?["line"].map(JSON.serialize) == "7")
                #expect(first?["file"]?.stringValue == "banners/slow.liquid")
            }
        }
    }

    @Test("a winner past the deadline is not sent: the slot gets the default, and the metrics count the timeout")
    func placementFallsBackOnTimeout() async throws {
        let slow = "---\ncampaign: hero-slow\nchannel: banner\nplacement: home-hero\npriority: 50\n---\n<p>\(Self.slowBody)</p>\n"
        let h = try Harness(files: Self.files(extra: ["banners/slow.liquid": slow]), renderTimeout: .milliseconds(5))
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=u1", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["campaign"]?.stringValue != "hero-slow")
                #expect(r.json["source"]?.stringValue != "winner")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.text.contains(#"stagecraft_renders_total{channel="banner",outcome="timeout"}"#))
            }
        }
    }

    @Test("an email past the deadline is a 422 render_timeout naming the line")
    func emailTimesOut() async throws {
        let slow = """
            ---
            campaign: slow-email
            channel: email
            subject: "Slow"
            ---
            <!DOCTYPE html><html><body><p>x</p>
            \(Self.slowBody)
            </body></html>
            """
        // No filter in the unsubscribe link: the loop is the first place the render can stop, however late it starts.
        let h = try Harness(files: Self.files(extra: ["emails/slow.liquid": slow, "email.yml": "unsubscribe: \"https://northwind.example/u\"\n"]),
                            renderTimeout: .milliseconds(5))
        try await h.test { client in
            try await client.execute(uri: "/v1/emails/slow/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"profile": {"id": "p1", "traits": {}}}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "render_timeout")
                #expect(r.json["line"].map(JSON.serialize) == "7")
            }
        }
    }

    @Test("while two long renders hold the render threads, /healthz and profile writes are answered")
    func longRendersDoNotStarveOtherRequests() async throws {
        // A million date formats: within the work limit, seconds of work, stopped by the deadline (short, so that the
        // render threads are soon free for the tests running beside this one).
        let heavy = "---\ncampaign: heavy\nchannel: banner\nplacement: side\n---\n<p>"
            + "{% for i in (1..1000) %}{% for j in (1..999) %}{{ 'now' | date: '%Y' }}{% endfor %}{% endfor %}</p>\n"
        let h = try Harness(files: Self.files(extra: ["banners/heavy.liquid": heavy]), renderTimeout: .seconds(1))
        let rendersDone = DoneCount()
        try await h.test { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders,
                                                 body: jsonBody(#"{"template":"banners/heavy"}"#)) { _ in }
                        rendersDone.count.add(1, ordering: .relaxed)
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
                try await client.execute(uri: "/v1/profiles/w1", method: .put, headers: jsonHeaders,
                                         body: jsonBody(#"{"traits": {"plan": "trial"}}"#)) { r in #expect(r.status == .created) }
                #expect(rendersDone.count.load(ordering: .relaxed) == 0, "the renders ended before the other requests were answered")
                try await group.waitForAll()
            }
        }
    }

    @Test("cancelling the request's task (SIGTERM's grace period over, or the request dropped) stops its render")
    func cancellationReachesTheRender() async throws {
        let template = try Environment().parse("{% for i in (1..1000) %}{% for j in (1..999) %}{{ 'now' | date: '%Y' }}{% endfor %}{% endfor %}")
        let started = DoneCount()
        let request = Task {
            try await RenderPool.shared.run(timeout: nil) { () -> String in
                started.count.add(1, ordering: .relaxed)
                var options = RenderOptions()
                options.isCancelled = RenderBudget.current.isCancelled
                do throws(LiquidError) {
                    _ = try template.render(.object(LiquidObject()), options: options)
                    return "finished"
                } catch {
                    return error.kind.code
                }
            }
        }
        // Cancelled once it runs (a request cancelled while its render waits for a thread never starts it).
        while started.count.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        request.cancel()
        #expect(try await request.value == "render_cancelled")
    }

    @Test("an NDJSON stream carries at most the configured number of render requests")
    func streamLinesAreLimited() async throws {
        let h = try Harness(maxStreamLines: 2)
        try await h.test { client in
            let line = #"{"profile": {"id": "p1", "traits": {"plan": "trial", "name": "Ada"}}}"#
            let body = Array(repeating: line, count: 4).joined(separator: "\n") + "\n"
            try await client.execute(uri: "/v1/emails/trial/render", method: .post, headers: [.contentType: "application/x-ndjson"],
                                     body: jsonBody(body)) { r in
                let lines = r.text.split(separator: "\n").compactMap { try? JSON.parse(String($0)).objectValue }
                #expect(lines.count == 3)
                #expect(lines.prefix(2).allSatisfy { $0["html"] != nil })
                #expect(lines.last?["line"].map(JSON.serialize) == "3")
                #expect(lines.last?["error"]?.objectValue?["code"]?.stringValue == "too_many_lines")
            }
        }
    }
}

final class DoneCount: Sendable {
    let count = Atomic(0)
}
