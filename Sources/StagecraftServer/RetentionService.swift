import Foundation
import Logging
import Personalization
import ServiceLifecycle
import Storage

/// How long what the store holds is kept (`stagecraft serve --retain-events-days`, `--retain-visitors-days`,
/// `--prune-interval`).
public struct RetentionSettings: Sendable {
    /// Events older than this go; nil keeps them whatever their age.
    public var eventAge: Duration? = .seconds(400 * 86_400)
    /// Anonymous visitors unseen for this long go whole; nil keeps them.
    public var visitorAge: Duration? = .seconds(90 * 86_400)
    /// Each user's interactions of one campaign and kind beyond the newest this many go (a visitor's merged in
    /// counted apart, see ``Retention/interactionsPerKind``): by default those that no decision reads any more
    /// (``InteractionHistory/depth``, the largest cap), so that a signed-in user's ledger, which no visitor expiry
    /// removes, stops growing without changing what they are served; nil keeps them all.
    public var interactionsPerKind: Int? = InteractionHistory.depth
    /// Time from the start of one pass (by any instance on the database) to the start of the next; nil turns pruning
    /// off.
    public var interval: Duration? = .seconds(3_600)
    /// Ids one step looks at (one short write).
    public var stepSize = 200
    /// The pause after each step, so that a pass over a large store is spread out rather than run flat out.
    public var pause: Duration = .milliseconds(20)

    public init() {}

    /// What the store keeps as of `now`, each user keeping `eventsPerUser` events (what deciding reads).
    public func retention(at now: Date, eventsPerUser: Int) -> Retention {
        func before(_ age: Duration?) -> Date? {
            age.map { now.addingTimeInterval(-$0.seconds) }
        }
        return Retention(eventsBefore: before(eventAge), eventsPerUser: eventsPerUser, visitorsBefore: before(visitorAge),
                         interactionsPerKind: interactionsPerKind)
    }
}

/// Removes, in the background, what the store no longer keeps: a pass walks every id one small step at a time
/// (each one short write, then a pause), so serving never waits long behind it; a new pass starts an interval after
/// the last one started on the database, whichever instance ran it (``Store/claimPass(_:every:at:)``), so instances
/// sharing a database prune once per interval between them. Counted in `/metrics`. A step is harmless to repeat.
public struct RetentionService: Service {
    let store: any Store
    let settings: RetentionSettings
    let eventsPerUser: Int
    let metrics: ServerMetrics
    let logger: Logger
    let clock: @Sendable () -> Date

    public init(store: any Store, settings: RetentionSettings, eventsPerUser: Int, metrics: ServerMetrics, logger: Logger,
                clock: @escaping @Sendable () -> Date = Date.init)
    {
        self.store = store
        self.settings = settings
        self.eventsPerUser = eventsPerUser
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        guard let interval = settings.interval else { return }
        try await repeatPasses(every: interval, logger: logger, what: "retention") { try await passWhenDue(interval) }
    }

    /// Runs a pass if none was started on this database within `interval` (by this process or another), and returns
    /// how long to wait before asking again.
    public func passWhenDue(_ interval: Duration) async throws -> Duration {
        try await runWhenDue("retention", store: store, every: interval, at: clock()) { _ = try await pass() }
    }

    /// One whole pass over every id; returns what it removed (`next` nil).
    @discardableResult
    public func pass() async throws -> PruneStep {
        let retention = settings.retention(at: clock(), eventsPerUser: eventsPerUser)
        let started = ContinuousClock.now
        var total = PruneStep(next: nil)
        var cursor = ""
        while true {
            try Task.checkCancellation()
            let step = try await store.prune(after: cursor, subjects: settings.stepSize, retention)
            total.subjects += step.subjects
            total.events += step.events
            total.interactions += step.interactions
            total.visitors += step.visitors
            if step.events > 0 { metrics.count("pruned_events", by: step.events) }
            if step.interactions > 0 { metrics.count("pruned_interactions", by: step.interactions) }
            if step.visitors > 0 { metrics.count("pruned_visitors", by: step.visitors) }
            guard let next = step.next else { break }
            cursor = next
            try await Task.sleep(for: settings.pause)
        }
        metrics.count("retention_passes")
        let took = ContinuousClock.now - started
        logger.info("retention: pass over \(total.subjects) ids removed \(total.events) events, \(total.interactions) interactions and \(total.visitors) visitors in \(took)")
        return total
    }
}

/// Runs `pass` now, then again after the time it returns (nil: `interval`, from its end), until the service is
/// cancelled or the server shuts down gracefully. A pass that fails (the database away: a restart) is logged, and
/// the next one is tried a minute later (or `interval`, when shorter).
func repeatPasses(every interval: Duration, logger: Logger, what: String,
                  _ pass: @escaping @Sendable () async throws -> Duration?) async throws
{
    do {
        try await cancelWhenGracefulShutdown {
            while true {
                var wait = interval
                do {
                    wait = try await pass() ?? interval
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    logger.warning("\(what): pass stopped: \(error)")
                    wait = min(interval, .seconds(60))
                }
                try await Task.sleep(for: wait)
            }
        }
    } catch is CancellationError {
        return
    }
}

/// Runs `pass` when the store grants this process the background pass `name` (none was started on the database in
/// the `interval` before `now`), and returns how long to wait before asking again: the interval after this pass
/// started, or after the last one did.
public func runWhenDue(_ name: String, store: any Store, every interval: Duration, at now: Date,
                _ pass: () async throws -> Void) async throws -> Duration
{
    let seconds = interval.seconds
    let claim = try await store.claimPass(name, every: seconds, at: now)
    if claim.claimed {
        let started = ContinuousClock.now
        do {
            try await pass()
        } catch {
            // Not run to its end: the claim is given back, so the pass is taken up again soon, here or elsewhere.
            try? await store.releasePass(name, claimedAt: now)
            throw error
        }
        return max(.seconds(1), interval - (ContinuousClock.now - started))
    }
    let left = claim.lastStart.addingTimeInterval(seconds).timeIntervalSince(now)
    return .milliseconds(Int64(max(1, min(left, seconds)) * 1000))
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
