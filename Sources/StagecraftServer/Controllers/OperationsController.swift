import CMalloc
import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// What operators and tools read: `/healthz`, `/readyz`, `/openapi.json` for anyone, `/metrics` with a secret key.
struct OperationsController: APIController {
    let api: APIServer

    func addRoutes(to router: Router<StagecraftRequestContext>) {
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in try await ready() }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.document)))
        }
        router.group().add(middleware: api.keyCheck(.secret)).get("/metrics") { _, _ in
            if let cache = store as? CachedStore {
                let usage = cache.usage
                metrics.gauge("user_cache_users", Double(usage.users))
                metrics.gauge("user_cache_rows", Double(usage.rows))
                metrics.gauge("user_cache_bytes", Double(usage.bytes))
                let lookups = cache.lookups
                metrics.follow("user_cache_hits", lookups.hits)
                metrics.follow("user_cache_misses", lookups.misses)
            }
            if let reporting = (store as? any StoreReporting) ?? (store as? CachedStore)?.baseReporting {
                if let held = reporting.memoryInUse { metrics.gauge("store_memory_bytes", Double(held)) }
                metrics.follow("store_reads", reporting.databaseReads)
                if let rows = reporting.goalValueLogRows { metrics.gauge("goal_value_log_rows", Double(rows)) }
            }
            var inUse = 0, kept = 0
            stagecraft_heap_usage(&inUse, &kept)
            if inUse > 0 {
                metrics.gauge("heap_in_use_bytes", Double(inUse))
                metrics.gauge("heap_free_bytes", Double(kept))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    func ready() async throws -> Response {
        do {
            try await store.ping()
        } catch {
            throw Problem(.serviceUnavailable, "store_unavailable", "the database does not answer: \(error)")
        }
        let status = content.status
        return json(object([("status", "ready"), ("content_generation", .int(status.generation)),
                            ("content_loaded_at", .string(Timestamp.format(status.loadedAt)))]))
    }
}
