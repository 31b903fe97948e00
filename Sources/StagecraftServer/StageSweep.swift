import Foundation
import Logging
import Personalization
import ServiceLifecycle
import Storage

/// How often the stage sweep runs (`stagecraft serve --stage-sweep-interval`) and how it paces itself.
public struct StageSweepSettings: Sendable {
    /// Time from the start of one pass (by any instance on the database) to the start of the next; nil turns the
    /// sweep off.
    public var interval: Duration? = .seconds(3_600)
    /// Users one step reads (one read of their profiles and recent events, then one write of those who moved).
    public var pageSize = 100
    /// The pause after each step, so that a pass over a large store is spread out rather than run flat out.
    public var pause: Duration = .milliseconds(20)

    public init() {}
}

/// Records the lifecycle moves that time alone makes. Serving records a user's stage when it serves them; but a
/// user who goes quiet moves (to re-engagement, after 30 days in the samples) without being served, and would
/// count in their old stage until they came back. A pass reads every user the store knows a page at a time, puts
/// each in the stage the rules give them now, and records those whose stage is not the one kept: a move on the
/// pass's day, counted in `stagecraft_stage_moves_total` like serving's. Rules see no request `context` here (a
/// rule that reads it sees it empty). A pass starts an interval after the last one started on the database
/// (``Store/claimPass(_:every:at:)``), whichever instance ran it, so several instances sweep once per interval
/// between them and a restart does not sweep again early; a user already moved does not move again anyway.
public struct StageSweep: Service {
    let api: APIServer
    let settings: StageSweepSettings
    let clock: @Sendable () -> Date

    public init(api: APIServer, settings: StageSweepSettings, clock: (@Sendable () -> Date)? = nil) {
        self.api = api
        self.settings = settings
        self.clock = clock ?? api.clock
    }

    public func run() async throws {
        guard let interval = settings.interval else { return }
        try await repeatPasses(every: interval, logger: api.logger, what: "stage sweep") { try await passWhenDue(interval) }
    }

    /// Runs a pass if none was started on this database within `interval` (by this process or another), and
    /// returns how long to wait before asking again: the interval after this pass started, or after the last one.
    public func passWhenDue(_ interval: Duration) async throws -> Duration {
        try await runWhenDue("stage_sweep", store: api.store, every: interval, at: clock()) { _ = try await pass() }
    }

    /// What one pass did.
    public struct Outcome: Sendable, Equatable {
        /// Users whose stage was evaluated.
        public var users = 0
        /// Those of them who moved.
        public var moved = 0

        public init(users: Int = 0, moved: Int = 0) {
            self.users = users
            self.moved = moved
        }
    }

    /// One whole pass over every user.
    @discardableResult
    public func pass() async throws -> Outcome {
        let started = ContinuousClock.now
        var outcome = Outcome()
        var cursor = ""
        while true {
            try Task.checkCancellation()
            let page = try await api.store.users(after: cursor, limit: settings.pageSize, eventLimit: api.configuration.eventLimit)
            // The content as it is now, page by page: a reload of the stage rules counts from the next page on.
            let rules = api.content.current.content.stageRules
            let now = clock()
            var sightings: [StageSighting] = []
            // A user removed meanwhile through this process is not put back in a stage.
            let users = page.users.filter { !api.observations.wasRemoved($0.profile.id) }
            for user in users {
                let stage = UserMoment(profile: user.profile, now: now, stageRules: rules).stage.stage
                if stage != user.stage { sightings.append(StageSighting(userId: user.profile.id, stage: stage, time: now)) }
            }
            outcome.users += users.count
            if !sightings.isEmpty {
                let moves = try await api.store.recordStages(sightings)
                outcome.moved += moves.count { $0 != nil }
                api.observations.recorded(sightings, moves: moves, metrics: api.metrics)
            }
            guard let next = page.next else { break }
            cursor = next
            try await Task.sleep(for: settings.pause)
        }
        api.metrics.count("stage_sweeps")
        api.logger.info("stage sweep: \(outcome.users) users, \(outcome.moved) moved, in \(ContinuousClock.now - started)")
        return outcome
    }
}
