import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Logging
import Personalization
import StagecraftServer
import Storage
import Testing

private let day = 86_400.0

private func event(_ name: String, daysAgo: Double) -> Event {
    Event(name: name, time: fixedNow.addingTimeInterval(-daysAgo * day))
}

@Suite("Retention")
struct RetentionTests {
    @Test("settings turn ages into cut-off times; an age left out keeps everything of its kind")
    func settings() {
        var settings = RetentionSettings()
        let r = settings.retention(at: fixedNow, eventsPerUser: 5000)
        #expect(r.eventsBefore == fixedNow.addingTimeInterval(-400 * day))
        #expect(r.visitorsBefore == fixedNow.addingTimeInterval(-90 * day))
        #expect(r.eventsPerUser == 5000)
        // A user's ledger keeps what deciding reads: the largest cap's worth of each campaign and kind.
        #expect(r.interactionsPerKind == InteractionHistory.depth && InteractionHistory.depth == FrequencyCap.largestMax)
        settings.eventAge = nil
        settings.interactionsPerKind = nil
        settings.visitorAge = .milliseconds(1500)
        let kept = settings.retention(at: fixedNow, eventsPerUser: 10)
        #expect(kept.eventsBefore == nil)
        #expect(kept.visitorsBefore == fixedNow.addingTimeInterval(-1.5))
        #expect(kept.interactionsPerKind == nil)
    }

    @Test("a pass removes old events, interactions past the newest and unseen visitors, and /metrics counts them; the API no longer finds them")
    func pass() async throws {
        let h = try Harness()
        _ = try await h.store.append([UserEvent(userId: "u1", event: event("signup", daysAgo: 500)),
                                      UserEvent(userId: "u1", event: event("login", daysAgo: 1)),
                                      UserEvent(userId: "anon:gone", event: event("page", daysAgo: 120)),
                                      UserEvent(userId: "anon:here", event: event("page", daysAgo: 3))])
        for daysAgo in [3.0, 2, 1] {
            try await h.store.record(Interaction(userId: "u1", campaign: "trial-ending-soon", channel: .banner, kind: .impression,
                                                 time: fixedNow.addingTimeInterval(-daysAgo * day)))
        }
        var settings = RetentionSettings()
        settings.interactionsPerKind = 2
        settings.stepSize = 1
        settings.pause = .zero
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = RetentionService(store: h.store, settings: settings, eventsPerUser: 5000, metrics: h.server.metrics,
                                       logger: logger, clock: { fixedNow })
        let total = try await service.pass()
        #expect(total.subjects == 3 && total.events == 1 && total.interactions == 1 && total.visitors == 1)
        try await h.test { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains("stagecraft_pruned_events_total 1"))
            #expect(metrics.contains("stagecraft_pruned_visitors_total 1"))
            #expect(metrics.contains("stagecraft_pruned_interactions_total 1"))
            #expect(metrics.contains("stagecraft_retention_passes_total 1"))
            let user = try await client.execute(uri: "/v1/profiles/u1/export", method: .get)
            #expect(user.status == .ok)
            #expect(user.json["events"]?.arrayValue?.count == 1)
            #expect(user.json["interactions"]?.arrayValue?.compactMap { $0.objectValue?["time"]?.stringValue }
                == [Timestamp.format(fixedNow.addingTimeInterval(-2 * day)), Timestamp.format(fixedNow.addingTimeInterval(-day))])
        }
        #expect(try await h.store.export(userId: "anon:gone") == nil)
        #expect(try await h.store.events(userId: "anon:here", limit: 10).count == 1)
    }

    @Test("instances on one database prune once per interval between them; a restart does not prune again early")
    func oncePerInterval() async throws {
        let store: any Store = MemoryStore()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let metrics = ServerMetrics()
        func instance(at now: Date) -> RetentionService {
            RetentionService(store: store, settings: RetentionSettings(), eventsPerUser: 5000, metrics: metrics, logger: logger, clock: { now })
        }
        _ = try await store.append([UserEvent(userId: "anon:a", event: event("page", daysAgo: 100))])
        #expect(try await instance(at: fixedNow).passWhenDue(.seconds(3600)) > .seconds(3500))
        #expect(try await store.export(userId: "anon:a") == nil)
        _ = try await store.append([UserEvent(userId: "anon:b", event: event("page", daysAgo: 100))])
        #expect(try await instance(at: fixedNow.addingTimeInterval(1200)).passWhenDue(.seconds(3600)) == .seconds(2400))
        #expect(try await store.export(userId: "anon:b") != nil, "no pass ran")
        _ = try await instance(at: fixedNow.addingTimeInterval(3600)).passWhenDue(.seconds(3600))
        #expect(try await store.export(userId: "anon:b") == nil)
    }

    @Test("a claimed pass that fails gives its claim back, so it is taken up again at once; one that ends keeps it")
    func failedPassReleased() async throws {
        struct Gone: Error {}
        let store: any Store = MemoryStore()
        await #expect(throws: Gone.self) {
            _ = try await runWhenDue("retention", store: store, every: .seconds(3600), at: fixedNow) { throw Gone() }
        }
        var ran = false
        let wait = try await runWhenDue("retention", store: store, every: .seconds(3600), at: fixedNow.addingTimeInterval(1)) { ran = true }
        #expect(ran && wait > .seconds(3500))
        #expect(!(try await store.claimPass("retention", every: 3600, at: fixedNow.addingTimeInterval(2)).claimed))
    }

    @Test("the service prunes on its own, and stops when cancelled")
    func background() async throws {
        let store: any Store = MemoryStore()
        _ = try await store.append([UserEvent(userId: "anon:gone", event: event("page", daysAgo: 100))])
        var settings = RetentionSettings()
        settings.interval = .milliseconds(10)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let metrics = ServerMetrics()
        let service = RetentionService(store: store, settings: settings, eventsPerUser: 5000, metrics: metrics, logger: logger,
                                       clock: { fixedNow })
        let task = Task { try await service.run() }
        var waited = 0
        while try await store.export(userId: "anon:gone") != nil, waited < 500 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        task.cancel()
        try await task.value
        #expect(try await store.export(userId: "anon:gone") == nil)
    }
}
