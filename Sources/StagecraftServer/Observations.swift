import Delivery
import Foundation
import Logging
import Personalization
import Storage
import Synchronization

// What serving sees and the store keeps for results: holdout users' exposures and users' lifecycle stages.

/// Holdout users' exposures, as serving finds them: the campaign a slot or tour would have shown them had they not
/// been held out (``Decision/heldOutCampaign``). A user is exposed once per campaign, so the pairs written lately
/// are remembered (a bounded set, emptied when full) and not written again on every request; the store keeps only
/// the first exposure anyway.
final class HoldoutExposures: Sendable {
    private let written = Mutex(Set<String>())
    private let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// The exposures `outcomes` make for `user` not yet written by this process.
    func new(in outcomes: [DeliveryOutcome], for user: UserMoment) -> [Exposure] {
        var found: [Exposure] = []
        for outcome in outcomes {
            guard let campaign = outcome.decision.heldOutCampaign else { continue }
            let key = campaign + "\u{0}" + user.profile.id
            guard !written.withLock({ $0.contains(key) }) else { continue }
            found.append(Exposure(campaign: campaign, userId: user.profile.id, arm: .holdout, time: user.now))
        }
        return found
    }

    /// Remembers exposures the store has kept.
    func kept(_ exposures: [Exposure]) {
        written.withLock { set in
            if set.count + exposures.count > capacity { set.removeAll(keepingCapacity: true) }
            for e in exposures { set.insert(e.campaign + "\u{0}" + e.userId) }
        }
    }
}

extension APIController {
    /// Keeps the holdout exposures of what was served. A failure to keep them does not fail the request (the user
    /// got their answer); it is logged and counted, and the next request for them tries again.
    func exposeHoldouts(_ outcomes: [DeliveryOutcome], for user: UserMoment) async {
        let exposures = api.holdouts.new(in: outcomes, for: user)
        guard !exposures.isEmpty else { return }
        do {
            try await store.expose(exposures)
            api.holdouts.kept(exposures)
            metrics.count("holdout_exposures", by: exposures.count)
        } catch {
            metrics.count("holdout_exposures_failed", by: exposures.count)
            logger.warning("holdout exposure not kept", metadata: ["user": .string(user.profile.id), "error": .string("\(error)")])
        }
    }
}

/// Users' lifecycle stages as serving computes them, kept when they change (``Store/recordStage(userId:stage:at:)``)
/// for the stage flow. The stage last kept for each user seen lately is remembered (a bounded map, emptied when
/// full), so a user whose stage did not change costs no store call; one not remembered costs a read, and a write
/// only when they moved.
final class StageObserver: Sendable {
    private let known = Mutex([String: String]())
    private let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    func isKnown(_ user: String, in stage: String) -> Bool { known.withLock { $0[user] == stage } }

    func remember(_ user: String, in stage: String) {
        known.withLock { map in
            if map.count >= capacity, map[user] == nil { map.removeAll(keepingCapacity: true) }
            map[user] = stage
        }
    }
}

extension APIController {
    /// Keeps the user's stage when it changed since last kept. Only for a user the store knows, decided now with the
    /// stage from the rules (not a stage or a time a request states). A failure does not fail the request.
    func observeStage(of user: UserMoment) async {
        let id = user.profile.id
        let stage = user.stage.stage
        guard !api.stages.isKnown(id, in: stage) else { return }
        do {
            if try await store.recordedStage(userId: id) != stage {
                if let from = try await store.recordStage(userId: id, stage: stage, at: user.now) {
                    metrics.count("stage_moves", [("from", from.isEmpty ? "none" : from), ("to", stage)])
                }
            }
            api.stages.remember(id, in: stage)
        } catch {
            logger.warning("stage not kept", metadata: ["user": .string(id), "error": .string("\(error)")])
        }
    }
}
