import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Personalization
import SQLiteStorage
import StagecraftServer
import Storage
import Testing

/// The value of an unlabelled metric in an exposition text, nil when it is not there.
private func sample(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}

@Suite("Store metrics: what the cache saves the database")
struct StoreMetricsTests {
    @Test("a user read once from SQLite is then answered from the cache: /metrics counts the hits, the misses and the database's reads")
    func cacheAndReads() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-metrics-\(UUID().uuidString)")
        let store = CachedStore(try SQLiteStore(path: folder.appendingPathComponent("s.sqlite").path), capacity: 10_000, eventLimit: 5000)
        defer { try? FileManager.default.removeItem(at: folder) }
        let h = try Harness(store: store)
        _ = try await store.saveProfile(id: "m1", traits: .replace(LiquidObject([("first_name", "Ada")])), timeZone: nil, at: fixedNow)
        try await h.test { client in
            func metrics() async throws -> String { try await client.execute(uri: "/metrics", method: .get).text }
            #expect(try await client.execute(uri: "/v1/placements/home-hero?user_id=m1", method: .get).status == .ok)
            let first = try await metrics()
            let readsFirst = try #require(sample("stagecraft_store_reads_total", in: first))
            #expect(readsFirst >= 1, "the first request read the user from SQLite")
            #expect(sample("stagecraft_user_cache_misses_total", in: first) == 1)
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/placements/home-hero?user_id=m1", method: .get).status == .ok)
            }
            let later = try await metrics()
            #expect(sample("stagecraft_user_cache_hits_total", in: later) == 2)
            #expect(sample("stagecraft_user_cache_misses_total", in: later) == 1)
            #expect(sample("stagecraft_store_reads_total", in: later) == readsFirst, "the next two read nothing from SQLite")
        }
    }

    @Test("/metrics gives the goal values SQLite passes logged since the last fold, and none once folded")
    func goalValueLog() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore(path: folder.appendingPathComponent("s.sqlite").path)
        var campaign = Campaign(id: "upgrade", template: "upgrade", channel: Channel(rawValue: "email")!, variants: [Variant(key: "a")])
        campaign.goals = [Goal(event: "plan_upgraded", within: 86_400, isPrimary: true)]
        let goals = GoalIndex([campaign])
        try await sqlite.expose([Exposure(campaign: "upgrade", userId: "g1", arm: Arm(variant: "a"), time: fixedNow)])
        _ = try await sqlite.append([UserEvent(userId: "g1", event: Event(name: "plan_upgraded", time: fixedNow.addingTimeInterval(60)))],
                                    attributing: goals)
        #expect(try await sqlite.attributeAllQueued(goals) == 1)
        let h = try Harness(store: CachedStore(sqlite, capacity: 10_000, eventLimit: 5000))
        try await h.test { client in
            let logged = try await client.execute(uri: "/metrics", method: .get).text
            #expect(sample("stagecraft_goal_value_log_rows", in: logged) == 1)
            let folded = try await sqlite.foldGoalValues()
            #expect(folded == 1)
            let after = try await client.execute(uri: "/metrics", method: .get).text
            #expect(sample("stagecraft_goal_value_log_rows", in: after) == 0)
        }
    }

    #if canImport(Glibc)
    @Test("/metrics gives malloc's own account of the process's heap: what it holds and what it keeps free")
    func heapAccount() async throws {
        let h = try Harness()
        // 64 MB held while /metrics is read: whatever other tests allocate or free meanwhile, this much is in use.
        let held = [UInt8](repeating: 7, count: 64 << 20)
        try await h.test { client in
            let text = try await client.execute(uri: "/metrics", method: .get).text
            let inUse = try #require(sample("stagecraft_heap_in_use_bytes", in: text))
            #expect(inUse >= Double(held.count))
            let free = try #require(sample("stagecraft_heap_free_bytes", in: text))
            #expect(free >= 0)
            #expect(text.contains("# HELP stagecraft_heap_in_use_bytes "))
        }
        withExtendedLifetime(held) {}
    }
    #endif
}
