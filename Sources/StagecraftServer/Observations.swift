import Delivery
import Foundation
import Logging
import Personalization
import Storage
import ServiceLifecycle
import Synchronization

/// What serving sees that results need and no request waits for: holdout users' exposures (the campaign a slot,
/// tour or page would have shown them had they not been held out, ``Decision/heldOutCampaign``) and users' lifecycle
/// stages (kept when they change, for the stage flow). They are queued and written together a moment later (one
/// write for all that came in meanwhile, not one per request), off the requests' path.
///
/// What was queued lately is remembered (bounded, see ``Remembered``), so a user already exposed, or still in the
/// stage kept for them, costs no store call. A write that fails is logged and counted and forgotten: the next
/// request for those users queues them again. At a graceful stop what is queued is written once requests have ended
/// (``ResultsService``); a process killed loses at most one wait's worth, seen again when those users come back.
final class Observations: Sendable {
    private struct State {
        var exposures: [Exposure] = []
        var sightings: [StageSighting] = []
        /// A flush is scheduled or running.
        var flushing = false
        var exposed: Remembered<Bool>
        var stages: Remembered<String>
        /// Users being removed, and when: what serving sees of them for a few seconds more is not queued.
        var removed: [String: ContinuousClock.Instant] = [:]
    }

    /// How long a removed user's sightings are ignored.
    private static let removal = Duration.seconds(5)

    private let state: Mutex<State>
    /// How long a first observation waits for others to be written with it.
    private let wait: Duration

    /// - Parameter capacity: how many exposures, and how many users' stages, are remembered at most.
    init(capacity: Int = 100_000, wait: Duration = .milliseconds(50)) {
        state = Mutex(State(exposed: Remembered(capacity: capacity), stages: Remembered(capacity: capacity)))
        self.wait = wait
    }

    /// Queues what the held-out `campaigns` and `stage` show of `user` that is not known yet; true when a flush
    /// should start.
    func observe(heldOut campaigns: [String], stage: String?, of user: UserMoment) -> Bool {
        let id = user.profile.id
        guard !campaigns.isEmpty || stage != nil else { return false }
        return state.withLock { st in
            if let at = st.removed[id] {
                guard ContinuousClock.now - at > Self.removal else { return false }
                st.removed[id] = nil
            }
            for campaign in campaigns where st.exposed.remember(campaign + "\u{0}" + id, true) {
                st.exposures.append(Exposure(campaign: campaign, userId: id, arm: .holdout, time: user.now))
            }
            if let stage, st.stages.remember(id, stage) {
                st.sightings.append(StageSighting(userId: id, stage: stage, time: user.now))
            }
            guard !st.flushing, !st.exposures.isEmpty || !st.sightings.isEmpty else { return false }
            st.flushing = true
            return true
        }
    }

    /// Writes what is queued until nothing is; the one flush running at a time.
    func flush(to store: any Store, metrics: ServerMetrics, logger: Logger) async {
        try? await Task.sleep(for: wait)
        while true {
            let (exposures, sightings) = state.withLock { st -> ([Exposure], [StageSighting]) in
                let taken = (st.exposures, st.sightings)
                st.exposures = []
                st.sightings = []
                if taken.0.isEmpty && taken.1.isEmpty { st.flushing = false }
                return taken
            }
            if exposures.isEmpty && sightings.isEmpty { return }
            do {
                try await store.expose(exposures)
                if !exposures.isEmpty { metrics.count("holdout_exposures", by: exposures.count) }
            } catch {
                metrics.count("holdout_exposures_failed", by: exposures.count)
                logger.warning("holdout exposures not kept", metadata: ["count": "\(exposures.count)", "error": .string("\(error)")])
                state.withLock { st in for e in exposures { st.exposed.forget(e.campaign + "\u{0}" + e.userId) } }
            }
            do {
                Self.count(sightings, moves: try await store.recordStages(sightings), metrics: metrics)
            } catch {
                logger.warning("stages not kept", metadata: ["count": "\(sightings.count)", "error": .string("\(error)")])
                state.withLock { st in for s in sightings where st.stages[s.userId] == s.stage { st.stages.forget(s.userId) } }
            }
        }
    }

    /// Counts the moves the store made of `sightings` (per sighting, the stage the user came from, nil for none).
    private static func count(_ sightings: [StageSighting], moves: [String?], metrics: ServerMetrics) {
        for (s, from) in zip(sightings, moves) {
            if let from { metrics.count("stage_moves", [("from", from.isEmpty ? "none" : from), ("to", s.stage)]) }
        }
    }

    /// `sightings` were recorded by another path than serving (the stage sweep), and `moves` is what the store did:
    /// they are counted, and a user remembered in another stage is remembered in the new one, so that serving them
    /// in the old stage again is recorded as the move back.
    func recorded(_ sightings: [StageSighting], moves: [String?], metrics: ServerMetrics) {
        Self.count(sightings, moves: moves, metrics: metrics)
        state.withLock { st in
            for s in sightings where st.stages[s.userId] != nil { st.stages.remember(s.userId, s.stage) }
        }
    }

    /// Whether `userId` was removed through this process in the last few seconds: what was read of them before (a
    /// sweep's page) is not recorded.
    func wasRemoved(_ userId: String) -> Bool {
        state.withLock { st in st.removed[userId].map { ContinuousClock.now - $0 <= Self.removal } ?? false }
    }

    /// Drops what is queued about a user and forgets what was remembered of them: a user being removed. What serving
    /// sees of them for a few seconds more (requests in flight) is not queued either.
    func forget(userId: String) {
        state.withLock { st in
            let now = ContinuousClock.now
            if st.removed.count >= 1_000 { st.removed = st.removed.filter { now - $0.value <= Self.removal } }
            st.removed[userId] = now
            st.exposures.removeAll { $0.userId == userId }
            st.sightings.removeAll { $0.userId == userId }
            st.stages.forget(userId)
            st.exposed.forget(where: { $0.hasSuffix("\u{0}" + userId) })
        }
    }

    /// Waits (up to `limit`) until what was queued before the call is written: answers about results read after it.
    func settled(limit: Duration = .seconds(2)) async {
        let start = ContinuousClock.now
        while state.withLock({ $0.flushing }), ContinuousClock.now - start < limit, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Values remembered by key, at most `capacity` of them, in two generations of half that each: a key is written to the
/// newer one; when that is full it becomes the older one and the one before is dropped, and a key read from the older
/// one moves back to the newer. What is in use stays, whatever else comes and goes; what is not ages out within two
/// turns (a single map emptied when full forgot everyone at once, and every user served next was queued again).
struct Remembered<Value: Equatable> {
    private var newer: [String: Value] = [:]
    private var older: [String: Value] = [:]
    private let half: Int

    init(capacity: Int) {
        half = max(1, capacity / 2)
    }

    /// How many keys are remembered (both generations).
    var count: Int { newer.count + older.count }

    /// The value remembered for `key`, without moving it.
    subscript(key: String) -> Value? { newer[key] ?? older[key] }

    /// Remembers `value` for `key`; true when that is news (nothing, or another value, was remembered for it).
    @discardableResult
    mutating func remember(_ key: String, _ value: Value) -> Bool {
        if let kept = newer[key] {
            guard kept != value else { return false }
            newer[key] = value
            return true
        }
        let known = older.removeValue(forKey: key)
        newer[key] = value
        if newer.count >= half {
            older = newer
            newer = [:]
        }
        return known != value
    }

    mutating func forget(_ key: String) {
        newer[key] = nil
        older[key] = nil
    }

    mutating func forget(where matches: (String) -> Bool) {
        newer = newer.filter { !matches($0.key) }
        older = older.filter { !matches($0.key) }
    }
}

/// What results need done outside requests: at start, a pass over the goal events a stopped process left queued;
/// at shutdown, once requests have stopped, what serving queued (holdout exposures, stage sightings) is written
/// before the process ends.
struct ResultsService: Service {
    let api: APIServer

    func run() async throws {
        api.attributor.soon(api)
        try? await gracefulShutdown()
        await api.observations.settled()
    }
}

extension APIController {
    /// Queues what serving `outcomes` to `user` showed for results: holdout exposures always; the stage when
    /// `countsStage` (a user the store knows, decided now with the stage from the rules, not one a request states).
    func observe(_ outcomes: [DeliveryOutcome], of user: UserMoment, countsStage: Bool) {
        observe(heldOut: outcomes.compactMap { $0.decision.heldOutCampaign }, of: user, countsStage: countsStage)
    }

    /// The same for one outcome (a slot, a tour), without copying it into a list.
    func observe(_ outcome: DeliveryOutcome, of user: UserMoment) {
        observe(heldOut: outcome.decision.heldOutCampaign.map { [$0] } ?? [], of: user, countsStage: false)
    }

    private func observe(heldOut campaigns: [String], of user: UserMoment, countsStage: Bool) {
        let observations = api.observations
        guard observations.observe(heldOut: campaigns, stage: countsStage ? user.stage.stage : nil, of: user) else { return }
        let (store, metrics, logger) = (store, metrics, logger)
        Task { await observations.flush(to: store, metrics: metrics, logger: logger) }
    }
}

/// Attributes goal events to the campaigns their users were exposed to, off the requests' path. Writes of events
/// queue those a goal counts (``Store/append(_:attributing:)``) and call ``soon(_:)``: a pass starts a moment later
/// and takes everything queued meanwhile, so one write touches each goal value and rollup row once for many events,
/// and the write that keeps an event stays as small as it was without goals. Results read after ``now(_:)``, which
/// runs a pass at once, so they count the events kept before the call (on PostgreSQL, but for those another
/// instance's pass holds at that moment: they count a moment later). The server starts a pass when it starts, for
/// what a stopped process left queued.
///
/// The queue is in the store: what a pass did not take (it failed, or the process stopped) is taken by the next one,
/// here or in another instance on the same database.
final class Attributor: Sendable {
    private struct State {
        var running = false
        /// Events were queued while a pass ran: it runs again.
        var again = false
    }

    private let state = Mutex(State())
    /// How long events wait for others to be attributed with them.
    private let wait: Duration
    /// Events per write.
    private let batch: Int

    init(wait: Duration, batch: Int = 5_000) {
        self.wait = wait
        self.batch = batch
    }

    /// Whether a pass should start (none is running); otherwise the running one runs again.
    private func start() -> Bool {
        state.withLock { st in
            if st.running {
                st.again = true
                return false
            }
            st.running = true
            return true
        }
    }

    /// Events were queued: attributes them in a moment, with whatever else comes meanwhile (in a task of its own,
    /// which runs while events keep coming).
    func soon(_ api: APIServer) {
        guard start() else { return }
        Task { await passes(api) }
    }

    /// Attributes what is queued now, on the caller's task: one call of the store's passes (which may run beside the
    /// background one; the store gives each event to one), so a results request never waits on the stream of events
    /// still arriving; then waits for the passes other instances are running (they hold the events this one skipped).
    /// A failure is logged and leaves the queue as it was.
    func now(_ api: APIServer) async {
        await attribute(api)
        do {
            try await api.store.awaitOtherPasses()
        } catch {
            api.metrics.count("attribution_failures")
            api.logger.warning("could not wait for other instances' attribution passes", metadata: ["error": .string("\(error)")])
        }
    }

    private func attribute(_ api: APIServer) async {
        do {
            let taken = try await api.store.attributeAllQueued(api.content.current.goals, limit: batch)
            if taken > 0 { api.metrics.count("goal_events_attributed", by: taken) }
        } catch {
            api.metrics.count("attribution_failures")
            api.logger.warning("goal events not attributed yet (they stay queued)", metadata: ["error": .string("\(error)")])
        }
    }

    /// Passes, each after the wait, until none was asked for during the last; stops when its task is cancelled (the
    /// queue keeps what is left for the next call).
    private func passes(_ api: APIServer) async {
        while true {
            try? await Task.sleep(for: wait)
            state.withLock { $0.again = false }
            if !Task.isCancelled { await attribute(api) }
            let done = state.withLock { st in
                if st.again, !Task.isCancelled { return false }
                st.running = false
                return true
            }
            if done { return }
        }
    }
}
