import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in a registry of its own (no process-wide bootstrap, so tests and several
/// servers in one process each count their own).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Collectors by name and labels: the registry locks on every lookup; this cache reads under a lighter lock.
    private let counters = Mutex<[Key: Counter]>([:])
    private let histograms = Mutex<[Key: DurationHistogram]>([:])
    private let gauges = Mutex<[Key: Gauge]>([:])
    /// What ``follow(_:_:)`` last saw of each total counted elsewhere.
    private let followed = Mutex<[String: Int]>([:])

    /// A metric and its label values (up to three), hashed without building a string.
    private struct Key: Hashable {
        let name: String
        let a: String, b: String, c: String

        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            a = labels.count > 0 ? labels[0].1 : ""
            b = labels.count > 1 ? labels[1].1 : ""
            c = labels.count > 2 ? labels[2].1 : ""
        }
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5),
    ]

    static let help: [String: String] = [
        "requests": "HTTP requests answered, by route, method and status.",
        "request_duration": "Time to answer a request, by route.",
        "renders": "Messages rendered, by channel and outcome (ok, render_error, invalid_html, missing_template).",
        "validation_failures": "Rendered HTML that failed the checker and was not sent, by channel.",
        "fallbacks": "Placements served by something other than their winner, by placement and what served (fallback, default, none).",
        "decisions": "Placement decisions, by outcome (winner, fallback, default, empty).",
        "content_reloads": "Content reloads, by result (ok, refused).",
        "events_accepted": "Events stored.",
        "interactions": "Interactions recorded, by kind.",
        "sends": "Messages rendered with send: true, by channel and outcome (sent, not_sent: capped, outside a window...).",
        "idempotent_replays": "Sends answered from the answer kept under their Idempotency-Key, counting nothing again.",
        "reservations": "Blocks of a decide with reserve: true, by outcome (reserved, withdrawn: a cap was reached meanwhile).",
        "identities": "Identify calls, by outcome (merged, already_linked, undone).",
        "rate_limited": "Requests refused with 429 for being over a rate, by scope (publishable_key, address, secret_key).",
        "user_cache_users": "Users whose profile and ledger are kept parsed in memory (SQLite).",
        "user_cache_rows": "Events and interactions those users' entries hold.",
        "user_cache_bytes": "What those entries hold, as estimated (bounded by --cache-mb).",
        "user_cache_hits": "User reads answered from the cache (SQLite).",
        "user_cache_misses": "User reads that went to the database behind the cache (SQLite).",
        "store_reads": "Reads that went to the database (SQLite or PostgreSQL), not the cache.",
        "pruned_events": "Events removed by retention (older than --retain-events-days, or beyond a user's event limit).",
        "pruned_interactions": "Interactions removed by retention (beyond the newest of each campaign and kind that deciding reads).",
        "pruned_visitors": "Anonymous visitors removed whole by retention (unseen for --retain-visitors-days).",
        "retention_passes": "Retention passes finished over every id in the store.",
        "stage_moves": "Users moved from one lifecycle stage to another, by from (none for a first stage) and to.",
        "holdout_exposures": "Holdout users' exposures kept (the campaign a decision would have served them).",
        "holdout_exposures_failed": "Holdout users' exposures that could not be written (queued again when those users come back).",
        "goal_events_attributed": "Queued goal events taken by an attribution pass (counted for the campaigns their users were exposed to).",
        "attribution_failures": "Attribution passes that failed (their events stay queued for the next pass).",
        "interaction_variant_corrected": "Interactions reported with a variant the user is not in: kept under the user's own.",
        "stage_sweeps": "Stage sweeps finished over every user in the store (the moves time alone makes).",
        "store_memory_bytes": "Memory the embedded database holds in this process (SQLite: page caches, schema, statements).",
        "goal_value_log_rows": "Goal values attribution passes logged since the last fold into their table (SQLite; folded at 20,000).",
        "heap_in_use_bytes": "Bytes this process holds from malloc now (glibc's account), whatever holds them.",
        "heap_free_bytes": "Free bytes malloc keeps in its heaps for reuse (whole free pages are given back every 30 s).",
        "open_connections": "HTTP connections open now.",
        "connections_refused": "Connections closed on arrival because --max-connections were open.",
    ]

    public init() {}

    func count(_ name: String, _ labels: [(String, String)] = [], by amount: Int = 1) {
        let k = Key(name, labels)
        let counter = counters.withLock { cache in
            if let c = cache[k] { return c }
            let unit = "total"
            let c = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "stagecraft", metricName: name, unitName: unit,
                                                                          helpText: Self.help[name] ?? ""),
                                         labels: labels)
            cache[k] = c
            return c
        }
        counter.increment(by: Int64(amount))
    }

    func time(_ name: String, _ labels: [(String, String)], _ duration: Duration) {
        let k = Key(name, labels)
        let histogram = histograms.withLock { cache in
            if let h = cache[k] { return h }
            let h = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "stagecraft", metricName: name, unitName: "seconds",
                                                 helpText: Self.help[name] ?? ""),
                labels: labels, buckets: Self.latencyBuckets)
            cache[k] = h
            return h
        }
        histogram.record(duration)
    }

    /// Brings counter `name` up to `total`, a running total kept elsewhere (a store's reads): counts what it grew by
    /// since the last call.
    func follow(_ name: String, _ total: Int) {
        let grown = followed.withLock { seen in
            defer { seen[name] = total }
            return max(0, total - (seen[name] ?? 0))
        }
        count(name, by: grown)
    }

    func gauge(_ name: String, _ value: Double) {
        let k = Key(name, [])
        let gauge = gauges.withLock { cache in
            if let g = cache[k] { return g }
            // A gauge's name has no unit suffix (an empty unit is left out of the name).
            let g = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "stagecraft", metricName: name, unitName: "",
                                                                        helpText: Self.help[name] ?? ""))
            cache[k] = g
            return g
        }
        gauge.set(value)
    }

    /// The exposition text for `/metrics`.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Counts and times every request by its route pattern (not its path, so ids do not multiply the series).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            record(context, method, response.status.code, start)
            return response
        } catch let error as any HTTPResponseError {
            record(context, method, error.status.code, start)
            throw error
        } catch {
            record(context, method, 500, start)
            throw error
        }
    }

    private func record(_ context: Context, _ method: String, _ status: Int, _ start: ContinuousClock.Instant) {
        let route = context.endpointPath ?? (status == 404 ? "unmatched" : "static")
        metrics.count("requests", [("route", route), ("method", method), ("status", String(status))])
        metrics.time("request_duration", [("route", route)], ContinuousClock.now - start)
    }
}
