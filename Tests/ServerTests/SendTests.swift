import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Logging
import Personalization
import PostgresStorage
import SQLiteStorage
import StagecraftServer
import Storage
import Testing

/// Content with caps to hold: an email sent at most twice a day, a push once, a banner shown once a day.
private let cappedFiles = Fixture.files.merging([
    "emails/nudge.liquid": """
        ---
        campaign: nudge
        channel: email
        caps: [{ max: 2, per: day }]
        subject: "A nudge for {{ user.name | default: 'you' }}"
        ---
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Nudge</title></head><body><p>Hello {{ user.name }}</p></body></html>
        """,
    "push/ping.liquid": """
        ---
        campaign: ping
        channel: push
        caps: [{ max: 1, per: day }]
        title: "Ping"
        body: "Hello {{ user.name }}"
        ---
        """,
    "banners/promo.liquid": """
        ---
        campaign: promo
        channel: banner
        placement: promo
        caps: [{ max: 1, per: day }]
        ---
        <aside class="promo">Ten percent off</aside>
        """,
]) { _, new in new }

/// A value as JSON text, "absent" when there is none (values compare by what they serialize to).
func j(_ value: Value?) -> String { value.map(JSON.serialize) ?? "absent" }

private let send = #"{"anonymous_id":"v-1","send":true}"#

private func render(_ client: any TestClientProtocol, _ template: String = "emails/nudge", _ body: String = send,
                    headers: HTTPFields = jsonHeaders) async throws -> TestResponse
{
    try await client.execute(uri: "/v1/messages/\(template)/render", method: .post, headers: headers, body: jsonBody(body))
}

/// The stores a server can run on, each fresh: memory, SQLite, SQLite behind the cache the server puts in front.
private func stores() throws -> [(String, any Store)] {
    let folder = scratchFolder.appendingPathComponent("send-\(UUID().uuidString)")
    let sqlite = try SQLiteStore(path: folder.appendingPathComponent("a.sqlite").path)
    let cached = CachedStore(try SQLiteStore(path: folder.appendingPathComponent("b.sqlite").path), capacity: 10_000, eventLimit: 5000)
    return [("memory", MemoryStore()), ("sqlite", sqlite), ("cached sqlite", cached)]
}

@Suite("Sends and reservations: caps that hold")
struct SendTests {
    @Test("a send is recorded with its cap check: sent, sent, then not sent (capped), with the send in the ledger")
    func sendsCountAtOnce() async throws {
        let h = try Harness(files: cappedFiles)
        try await h.test { client in
            for n in 1...3 {
                let r = try await render(client)
                #expect(r.status == .ok)
                #expect(j(r.json["sent"]) == String(n <= 2), "send \(n)")
                #expect(j(r.json["eligible"]) == String(n <= 2))
                #expect(j(r.json["reason"]) == (n <= 2 ? "null" : #""capped""#))
                #expect(r.json["subject"]?.stringValue == "A nudge for you", "the email comes with the answer either way")
            }
            // A render without send counts nothing and says nothing of sending.
            let plain = try await render(client, "emails/nudge", #"{"anonymous_id":"v-1"}"#)
            #expect(j(plain.json["sent"]) == "absent" && j(plain.json["eligible"]) == "false")
            // Push too.
            let first = try await render(client, "push/ping")
            #expect(j(first.json["sent"]) == "true")
            let second = try await render(client, "push/ping")
            #expect(j(second.json["reason"]) == #""capped""#)
        }
        let history = try await h.store.history(userId: "anon:v-1").interactions
        #expect(history.map(\.campaign) == ["nudge", "nudge", "ping"])
        #expect(history.allSatisfy { $0.kind == .impression && $0.time == fixedNow })
        #expect(history.map(\.channel.rawValue) == ["email", "email", "push"])
    }

    @Test("bad sends are 422 problems that record nothing")
    func badSends() async throws {
        let h = try Harness(files: cappedFiles)
        try await h.test { client in
            let cases: [(String, String, HTTPFields, String)] = [
                ("banners/promo", send, jsonHeaders, "invalid_field"),
                ("emails/nudge", #"{"profile":{"id":"x"},"send":true}"#, jsonHeaders, "invalid_field"),
                ("emails/nudge", #"{"anonymous_id":"v-1","send":"yes"}"#, jsonHeaders, "invalid_field"),
                ("emails/nudge", #"{"anonymous_id":"v-1","send":true,"at":"2030-01-01T00:00:00Z"}"#, jsonHeaders, "invalid_field"),
                ("emails/nudge", #"{"anonymous_id":"v-1","send":true,"at":"2026-11-22T10:00:00Z"}"#, jsonHeaders, "invalid_field"),
                ("emails/nudge", send, jsonHeaders + [HTTPField(name: HTTPField.Name("Idempotency-Key")!, value: "has space")], "invalid_field"),
            ]
            for (template, body, headers, code) in cases {
                let r = try await render(client, template, body, headers: headers)
                #expect(r.status == .unprocessableContent, "\(template) \(body)")
                #expect(r.problemCode == code, "\(template) \(body)")
            }
        }
        #expect(try await h.store.history(userId: "anon:v-1").interactions.isEmpty)
    }

    @Test("an Idempotency-Key replays the first answer without counting again; reused for another request it is refused")
    func idempotentRetries() async throws {
        let h = try Harness(files: cappedFiles)
        let keyed = jsonHeaders + [HTTPField(name: HTTPField.Name("Idempotency-Key")!, value: "9b2f-send-1")]
        try await h.test { client in
            let first = try await render(client, headers: keyed)
            #expect(j(first.json["sent"]) == "true")
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            for _ in 0..<3 {
                // Spaced and ordered differently: the same request.
                let again = try await render(client, "emails/nudge", #"{ "send": true, "anonymous_id": "v-1" }"#, headers: keyed)
                #expect(again.status == .ok)
                #expect(again.text == first.text)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            }
            let other = try await render(client, "emails/nudge", #"{"anonymous_id":"v-2","send":true}"#, headers: keyed)
            #expect(other.status == .unprocessableContent)
            #expect(other.problemCode == "idempotency_key_reused")
            // The same body through the other render route is another request too.
            let route = try await client.execute(uri: "/v1/emails/nudge/render", method: .post, headers: keyed, body: jsonBody(send))
            #expect(route.problemCode == "idempotency_key_reused")
            // Without the key, a second send is a second send.
            let third = try await render(client)
            #expect(j(third.json["sent"]) == "true")
            let fourth = try await render(client)
            #expect(j(fourth.json["sent"]) == "false")
        }
        #expect(try await h.store.history(userId: "anon:v-1").interactions.count == 2)
        #expect(try await h.store.history(userId: "anon:v-2").interactions.isEmpty)
    }

    @Test("an NDJSON stream's lines carry their own idempotency keys")
    func streamKeys() async throws {
        let h = try Harness(files: cappedFiles)
        try await h.test { client in
            let lines = [
                #"{"anonymous_id":"v-1","send":true,"idempotency_key":"a"}"#,
                #"{"anonymous_id":"v-1","send":true,"idempotency_key":"a"}"#,
                #"{"anonymous_id":"v-1","send":true,"idempotency_key":"b"}"#,
                #"{"anonymous_id":"v-1","send":true,"idempotency_key":"c"}"#,
                #"{"anonymous_id":"v-1","send":true,"idempotency_key":7}"#,
            ].joined(separator: "\n")
            let r = try await client.execute(uri: "/v1/messages/emails/nudge/render", method: .post,
                                             headers: [.contentType: "application/x-ndjson"], body: jsonBody(lines))
            let answers = r.text.split(separator: "\n").map { (try? JSON.parse(String($0)))?.objectValue ?? LiquidObject() }
            #expect(answers.map { j($0["sent"]) } == ["true", "true", "true", "false", "absent"])
            #expect(answers.map { j($0["replayed"]) } == ["absent", "true", "absent", "absent", "absent"])
            #expect(answers[4]["error"]?.objectValue?["code"]?.stringValue == "invalid_field")
        }
        #expect(try await h.store.history(userId: "anon:v-1").interactions.count == 2)
    }

    @Test("50 concurrent sends of a message capped at 2 send exactly 2, on every store")
    func concurrentSends() async throws {
        for (name, store) in try stores() {
            let h = try Harness(store: store, files: cappedFiles)
            let sent = try await h.test { client in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<50 { group.addTask { j(try await render(client).json["sent"]) == "true" } }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
            }
            #expect(sent == 2, "\(name)")
            #expect(try await store.history(userId: "anon:v-1").interactions.count == 2, "\(name)")
        }
    }

    @Test("decide with reserve records the impressions it serves; pages asking at once never pass the cap")
    func reserve() async throws {
        let h = try Harness(files: cappedFiles)
        try await h.test { client in
            let decide = #"{"anonymous_id":"v-1","placements":["promo","home-hero"],"reserve":true}"#
            let results = try await withThrowingTaskGroup(of: LiquidObject.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders, body: jsonBody(decide)).json
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let promos = results.compactMap { $0["blocks"]?.objectValue?["promo"]?.objectValue }
            #expect(promos.count == 1)
            #expect(j(promos.first?["reserved"]) == "true")
            // Those decided before the reservation landed were withdrawn with the reason; those after never chose it.
            for r in results where j(r["blocks"]?.objectValue?["promo"]) == "null" {
                #expect(["absent", #""capped""#].contains(j(r["withdrawn"]?.objectValue?["promo"])))
            }
            // The hero is shown each time (uncapped) and reserved each time.
            #expect(results.allSatisfy { j($0["blocks"]?.objectValue?["home-hero"]?.objectValue?["reserved"]) == "true" })
            // Without reserve, nothing is recorded and nothing says reserved.
            let plain = try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                                 body: jsonBody(#"{"anonymous_id":"v-1","placements":["home-hero"]}"#)).json
            #expect(j(plain["withdrawn"]) == "absent")
            #expect(j(plain["blocks"]?.objectValue?["home-hero"]?.objectValue?["reserved"]) == "absent")
        }
        let history = try await h.store.history(userId: "anon:v-1").interactions
        #expect(history.filter { $0.campaign == "promo" }.count == 1)
        #expect(history.filter { $0.campaign == "hero-main" }.count == 20)
        #expect(history.allSatisfy { $0.placement != nil })
    }

}

/// The server on PostgreSQL. These tests share one database and each drops its tables, so they run one at a time.
@Suite("Sends on PostgreSQL: instances sharing caps, the database going away", .serialized)
struct PostgresSendTests {
    /// A database of its own (`.ci/run` makes it), apart from the storage suite's, which drops its tables as it goes.
    static let postgresURL = ProcessInfo.processInfo.environment["STAGECRAFT_TEST_POSTGRES_SERVER_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Two instances' stores on the test database, its tables fresh, each behind its user cache, as `serve` makes them.
    /// `follow` starts both listening for changes and waits until they are (true) or 5 s have passed (false); when
    /// `body` is done they stop, and the tables are dropped.
    static func twoInstances(_ body: (_ one: CachedStore, _ two: CachedStore, _ follow: () async throws -> Bool) async throws -> Void)
        async throws
    {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let a = try PostgresStore(url: postgresURL!, logger: logger)
        let b = try PostgresStore(url: postgresURL!, logger: logger)
        let one = CachedStore(a, capacity: 10_000, eventLimit: 5000, sharedWriters: true)
        let two = CachedStore(b, capacity: 10_000, eventLimit: 5000, sharedWriters: true)
        try await withThrowingTaskGroup(of: Void.self) { pools in
            pools.addTask { await a.run() }
            pools.addTask { await b.run() }
            defer { pools.cancelAll() }
            try await a.dropEverything()
            try await a.migrate()
            try await b.migrate()
            var followers: [Task<Void, Never>] = []
            func follow() async throws -> Bool {
                followers = [Task { await a.followChanges(into: one) }, Task { await b.followChanges(into: two) }]
                for _ in 0..<500 where !(one.isFollowing && two.isFollowing) { try await Task.sleep(for: .milliseconds(10)) }
                return one.isFollowing && two.isFollowing
            }
            func stop() async {
                for f in followers { f.cancel() }
                for f in followers { await f.value }
            }
            do {
                try await body(one, two, follow)
            } catch {
                await stop()
                throw error
            }
            await stop()
            try await a.dropEverything()
        }
    }

    @Test("two instances on one PostgreSQL, each with its user cache: 50 sends spread over both send exactly the cap", .enabled(if: postgresURL != nil))
    func twoInstancesOnPostgres() async throws {
        try await Self.twoInstances { cacheA, cacheB, follow in
            #expect(try await follow())
            let one = try Harness(store: cacheA, files: cappedFiles)
            let two = try Harness(store: cacheB, files: cappedFiles, folder: one.folder)
            let keyed = jsonHeaders + [HTTPField(name: HTTPField.Name("Idempotency-Key")!, value: "pg-retry")]
            let sent = try await one.test { c1 in
                try await two.test { c2 in
                    try await withThrowingTaskGroup(of: Bool.self) { group in
                        for i in 0..<50 {
                            group.addTask { j(try await render(i % 2 == 0 ? c1 : c2).json["sent"]) == "true" }
                        }
                        return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                    }
                }
            }
            #expect(sent == 2)
            #expect(try await cacheA.history(userId: "anon:v-1").interactions.count == 2)
            // A retried push send through the other instance is the first answer, not a second send.
            let (first, retry) = try await one.test { c1 in
                try await two.test { c2 in
                    (try await render(c1, "push/ping", headers: keyed), try await render(c2, "push/ping", headers: keyed))
                }
            }
            #expect(j(first.json["sent"]) == "true")
            #expect(retry.text == first.text && retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await cacheB.history(userId: "anon:v-1").interactions.count == 3)
        }
    }

    @Test("PostgreSQL restarting under load: 503 store_unavailable with Retry-After meanwhile, back by itself, nothing acknowledged lost",
          .enabled(if: postgresURL != nil))
    func postgresRestart() async throws {
        try await Self.proxied(connections: 8, answerTimeout: .milliseconds(1500)) { proxy, store in
            let h = try Harness(store: store)
            struct Outcome: Sendable {
                var status: Int
                var seconds: Double
                var acknowledged: String?
                var wellFormed: Bool
                var answer: String
            }
            let start = ContinuousClock.now
            @Sendable func seconds() -> Double {
                let d = ContinuousClock.now - start
                return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            }
            let outcomes = try await h.test { client in
                try await withThrowingTaskGroup(of: [Outcome].self) { group in
                    // Down from 1 s to 3 s.
                    group.addTask {
                        try await Task.sleep(for: .seconds(1))
                        proxy.cut()
                        try await Task.sleep(for: .seconds(2))
                        proxy.restore()
                        return []
                    }
                    for w in 0..<6 {
                        group.addTask {
                            var list: [Outcome] = []
                            var n = 0
                            while seconds() < 9 {
                                n += 1
                                let id = "w\(w)-\(n)"
                                let began = seconds()
                                let r = try await client.execute(
                                    uri: "/v1/events", method: .post, headers: jsonHeaders,
                                    body: jsonBody(#"{"events":[{"user_id":"load-\#(w)","name":"tick","message_id":"\#(id)"}]}"#))
                                let ok = r.status == .ok
                                let wellFormed = ok || (r.status == .serviceUnavailable && r.problemCode == "store_unavailable"
                                                        && r.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 } == true)
                                list.append(Outcome(status: Int(r.status.code), seconds: seconds() - began,
                                                    acknowledged: ok ? id : nil, wellFormed: wellFormed,
                                                    answer: wellFormed ? "" : "\(r.status.code) \(r.text.prefix(300))"))
                                if !ok { try await Task.sleep(for: .milliseconds(50)) }
                            }
                            return list
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            let wellFormed = outcomes.allSatisfy { $0.wellFormed }
            #expect(wellFormed, "every answer is a success or a 503 store_unavailable with Retry-After: \(outcomes.filter { !$0.wellFormed }.prefix(3).map(\.answer))")
            #expect(outcomes.contains { $0.status == 503 }, "the outage was felt")
            // No request waited for the database longer than the lease timeout allows.
            let slowest = outcomes.map { $0.seconds }.max() ?? 0
            #expect(slowest < 3)
            // It came back by itself: the last second of load went through.
            #expect(outcomes.suffix(6).allSatisfy { $0.status == 200 }, "\(outcomes.suffix(6).map { ($0.status, $0.seconds) })")
            #expect(!store.isUnavailable)
            // Every event answered 200 is kept.
            var kept = Set<String>()
            for w in 0..<6 {
                for e in try await store.export(userId: "load-\(w)")?.events ?? [] { if let m = e.messageId { kept.insert(m) } }
            }
            let acknowledged = Set(outcomes.compactMap { $0.acknowledged })
            #expect(acknowledged.count > 100)
            #expect(acknowledged.isSubset(of: kept))
        }
    }

    @Test("PostgreSQL gone silent (every packet dropped, connections open): 503 store_unavailable within the timeouts, back by itself once packets flow",
          .enabled(if: postgresURL != nil))
    func postgresSilent() async throws {
        try await Self.proxied(connections: 4, answerTimeout: .seconds(1)) { proxy, store in
            let h = try Harness(store: store)
            try await h.test { client in
                func send(_ id: String) async throws -> (status: HTTPResponse.Status, problem: String?, retryAfter: String?, seconds: Double) {
                    let began = ContinuousClock.now
                    let r = try await client.execute(
                        uri: "/v1/events", method: .post, headers: jsonHeaders,
                        body: jsonBody(#"{"events":[{"user_id":"quiet","name":"tick","message_id":"\#(id)"}]}"#))
                    let d = ContinuousClock.now - began
                    return (r.status, r.problemCode, r.headers[.retryAfter],
                            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                }
                #expect(try await send("before").status == .ok)
                proxy.drop()
                let silent = try await send("silent")
                #expect(silent.status == .serviceUnavailable && silent.problem == "store_unavailable" && silent.retryAfter == "1",
                        "\(silent)")
                // The lease is had at once (the connection is open); the answer is waited for about a second.
                #expect(silent.seconds < 2.5)
                #expect(store.isUnavailable)
                proxy.restore()
                var back: (status: HTTPResponse.Status, problem: String?, retryAfter: String?, seconds: Double)?
                for n in 0..<50 {
                    let r = try await send("after-\(n)")
                    #expect(r.status == .ok || r.problem == "store_unavailable")
                    if r.status == .ok {
                        back = r
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(back != nil, "requests go through again once packets flow")
                #expect(!store.isUnavailable)
            }
            let kept = Set(try await store.export(userId: "quiet")?.events.compactMap(\.messageId) ?? [])
            #expect(kept.contains("before") && kept.contains { $0.hasPrefix("after-") })
        }
    }

    /// A store on the server suite's database reached through a ``TCPProxy`` (leases wait 1 s), its pool running and
    /// its schema fresh for `body`; dropped after, and every connection through the proxy closed (one whose answer
    /// was lost included) so the pool can stop.
    static func proxied(connections: Int, answerTimeout: Duration,
                        _ body: (TCPProxy, PostgresStore) async throws -> Void) async throws {
        var url = try #require(URLComponents(string: Self.postgresURL!))
        let proxy = try await TCPProxy(targetHost: url.host ?? "127.0.0.1", targetPort: url.port ?? 5432)
        url.host = "127.0.0.1"
        url.port = proxy.port
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try PostgresStore(url: try #require(url.string), logger: logger, connections: connections,
                                      leaseTimeout: .seconds(1), answerTimeout: answerTimeout)
        try await withThrowingTaskGroup(of: Void.self) { pools in
            pools.addTask { await store.run() }
            defer { pools.cancelAll() }
            try await store.dropEverything()
            try await store.migrate()
            try await body(proxy, store)
            proxy.restore()
            try await store.dropEverything()
            proxy.cut()
        }
        try await proxy.shutdown()
    }

    @Test("a user cache on each instance hears the other's writes: a profile changed, events added, a visitor linked through one are what the other reads next",
          .enabled(if: postgresURL != nil))
    func cachesFollowChanges() async throws {
        /// Waits up to 5 s for `condition`, checking every 10 ms.
        func soon(_ condition: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<500 {
                if try await condition() { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
        var second: CachedStore?
        try await Self.twoInstances { one, two, follow in
            second = two
            // Until it hears changes, a cache keeps nothing.
            _ = try await one.saveProfile(id: "c1", traits: .replace(LiquidObject([("plan", "free")])), timeZone: nil, at: fixedNow)
            _ = try await two.profile(id: "c1", eventLimit: 5000)
            #expect(two.usage.users == 0 && two.lookups.misses == 0)
            #expect(try await follow())

            // The second instance reads the user once, then from memory.
            #expect(try await two.profile(id: "c1", eventLimit: 5000)?.traits["plan"]?.stringValue == "free")
            #expect(try await two.profile(id: "c1", eventLimit: 5000)?.traits["plan"]?.stringValue == "free")
            #expect(two.lookups.hits == 1 && two.lookups.misses == 1)
            // What the first writes, the second reads next: its entry was dropped when the change was told.
            _ = try await one.saveProfile(id: "c1", traits: .replace(LiquidObject([("plan", "pro")])), timeZone: nil, at: fixedNow)
            #expect(try await soon { try await two.profile(id: "c1", eventLimit: 5000)?.traits["plan"]?.stringValue == "pro" })
            _ = try await one.append([UserEvent(userId: "c1", event: Event(name: "login", time: fixedNow))])
            #expect(try await soon { try await two.profile(id: "c1", eventLimit: 5000)?.events.count == 1 })
            try await one.record(Interaction(userId: "c1", campaign: "promo", channel: .banner, kind: .dismiss, time: fixedNow))
            #expect(try await soon { try await two.history(userId: "c1").interactions.count == 1 })
            // A visitor's link, kept as read, follows a merge made through the other instance.
            _ = try await one.append([UserEvent(userId: "anon:v1", event: Event(name: "page", time: fixedNow))])
            #expect(try await two.linkedUser(anonymous: "anon:v1") == nil)
            _ = try await one.identify(anonymous: "anon:v1", user: "c1", at: fixedNow)
            #expect(try await soon { try await two.linkedUser(anonymous: "anon:v1") == "c1" })
            #expect(try await soon { try await two.profile(id: "c1", eventLimit: 5000)?.events.count == 2 })
            #expect(two.usage.users >= 1, "the cache is in use")
        }
        // Not listening any more: nothing kept, nothing used.
        let two = try #require(second)
        #expect(!two.isFollowing && two.usage.users == 0)
    }
}
