import Foundation
import Liquid
import Personalization

/// Everything in the process's memory: for tests and for `stagecraft serve --database memory` (gone at exit).
public actor MemoryStore: Store {
    private var records: [String: ProfileRecord] = [:]
    /// Per user, oldest first; events at the same instant keep their arrival order. `origin` is the visitor a
    /// merged one came from.
    private var events: [String: [Kept<Event>]] = [:]
    private var messageIds: [String: Set<String>] = [:]
    /// Per user, oldest first, as events.
    private var interactions: [String: [Kept<Interaction>]] = [:]
    /// Merged visitors by their store id.
    private var identities: [String: (identity: Identity, record: MergeRecord)] = [:]

    /// Kept answers by idempotency key, with the user they were for; and the keys in the order they were kept,
    /// so that expired ones go from the front.
    private var answers: [String: (userId: String, kept: KeptAnswer, at: Date)] = [:]
    private var answerOrder: [(at: Date, key: String)] = []
    private var answerOrderStart = 0

    /// First exposures by campaign, then user; goal values by ``Attribution/Credit/key``; rollups by campaign.
    private var exposures: [String: [String: Exposure]] = [:]
    private var goalValues: [String: Double] = [:]
    /// The visitor a merged exposure came from, by campaign and user (an undo moves it back).
    private var exposureOrigins: [String: String] = [:]
    private var rollupRows: [String: [RollupKey: Rollup]] = [:]
    /// People removed in the last ``Removal/remembered`` seconds, and when.
    private var removals: [String: Date] = [:]
    /// The removals in the order they were made, to forget them from the front.
    private var removalOrder: [(at: Date, id: String)] = []
    private var removalStart = 0

    /// Events queued for attribution, oldest first, with the user they were kept for.
    private var queued: [UserEvent] = []
    private var queueStart = 0

    private var stages: [String: String] = [:]
    /// When each background pass last started.
    private var passes: [String: Date] = [:]
    private var moves: [StageMove] = []

    private struct RollupKey: Hashable {
        var goal: String
        var arm: Arm
        var day: Int
    }

    public init() {}

    public func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date)
        -> (record: ProfileRecord, created: Bool)
    {
        let old = records[id]
        let record = (old ?? ProfileRecord(id: id, createdAt: time, updatedAt: time)).saving(traits, timeZone: timeZone, locale: locale, at: time)
        records[id] = record
        return (record, old == nil)
    }

    public func profileRecord(id: String) -> ProfileRecord? { records[id] }

    public func profile(id: String, eventLimit: Int) -> Profile? {
        let record = records[id]
        let kept = events[id] ?? []
        guard record != nil || !kept.isEmpty else { return nil }
        return Encoding.profile(id: id, record: record, events: kept.suffix(eventLimit).map(\.item))
    }

    /// Inserts after everything at or before its time (arrival order among equal times).
    private static func insert<Item>(_ item: Kept<Item>, into list: inout [Kept<Item>], time: (Item) -> Date) {
        let t = time(item.item)
        let index = list.lastIndex { time($0.item) <= t }.map { $0 + 1 } ?? 0
        list.insert(item, at: index)
    }

    public func append(_ batch: [UserEvent], attributing goals: GoalIndex) -> Int {
        var added = 0
        for e in batch {
            if let m = e.messageId {
                guard messageIds[e.userId, default: []].insert(m).inserted else { continue }
            }
            Self.insert(Kept(e.event, messageId: e.messageId), into: &events[e.userId, default: []], time: \.time)
            added += 1
            if goals.counts(e.event.name) { queued.append(e) }
        }
        return added
    }

    /// One process holds the memory store: its passes run one at a time on this actor.
    public func awaitOtherPasses() {}

    public func attributeQueued(_ goals: GoalIndex, limit: Int) -> Int {
        let end = min(queued.count, queueStart + max(limit, 0))
        // Each event belongs to the user it was merged into, if it was; a removed user's are dropped.
        let taken = queued[queueStart..<end].compactMap { e -> UserEvent? in
            let owner = identities[e.userId]?.identity.user ?? e.userId
            guard events[owner] != nil else { return nil }
            return UserEvent(userId: owner, event: e.event, messageId: e.messageId)
        }
        let count = end - queueStart
        queueStart = end
        if queueStart == queued.count { queued.removeAll(keepingCapacity: true); queueStart = 0 }
        for credit in Attribution.credits(taken, goals, exposure: { exposures[$0]?[$1] }) {
            guard let change = Attribution.apply(credit, to: goalValues[credit.key]) else { continue }
            goalValues[credit.key] = change.value
            roll(credit.campaign, RollupKey(goal: credit.goal, arm: credit.exposure.arm, day: credit.exposure.day),
                 users: change.users, sum: change.sum, sumOfSquares: change.sumOfSquares)
        }
        return count
    }

    public func expose(_ list: [Exposure]) {
        keep(list.filter { !Removal.precedes($0.time, removedAt: removals[$0.userId]) })
    }

    /// Keeps the exposures an interaction or admission makes, or those ``expose(_:)`` lets through.
    private func keep(_ list: [Exposure]) {
        for e in list where exposures[e.campaign]?[e.userId] == nil {
            exposures[e.campaign, default: [:]][e.userId] = e
            roll(e.campaign, RollupKey(goal: "", arm: e.arm, day: e.day), users: 1, sum: 0, sumOfSquares: 0)
        }
    }

    private func roll(_ campaign: String, _ key: RollupKey, users: Int, sum: Double, sumOfSquares: Double) {
        var row = rollupRows[campaign]?[key] ?? Rollup(goal: key.goal, arm: key.arm, day: key.day, users: 0, sum: 0, sumOfSquares: 0)
        row.users += users
        row.sum += sum
        row.sumOfSquares += sumOfSquares
        rollupRows[campaign, default: [:]][key] = row
    }

    public func recordedStage(userId: String) -> String? { stages[userId] }

    public func recordStages(_ sightings: [StageSighting]) -> [String?] {
        sightings.map { s in Removal.precedes(s.time, removedAt: removals[s.userId]) ? nil : move(s.userId, to: s.stage, at: s.time) }
    }

    private func move(_ userId: String, to stage: String, at time: Date) -> String? {
        let old = stages[userId]
        guard old != stage else { return nil }
        stages[userId] = stage
        let day = Rollup.day(of: time)
        if let k = moves.firstIndex(where: { $0.day == day && $0.from == (old ?? "") && $0.to == stage }) {
            moves[k].users += 1
        } else {
            moves.append(StageMove(day: day, from: old ?? "", to: stage, users: 1))
        }
        return old ?? ""
    }

    public func claimPass(_ name: String, every interval: TimeInterval, at now: Date) -> (claimed: Bool, lastStart: Date) {
        if let last = passes[name], last > now.addingTimeInterval(-interval) { return (false, last) }
        passes[name] = now
        return (true, now)
    }

    public func releasePass(_ name: String, claimedAt start: Date) {
        if passes[name] == start { passes[name] = nil }
    }

    public func users(after cursor: String, limit: Int, eventLimit: Int) -> UserPage {
        let ids = Array(Set(records.keys).union(events.keys).filter { $0 > cursor }.sorted().prefix(limit))
        var filler = UserPageFiller(ids: ids, limit: limit)
        for (i, id) in ids.enumerated() {
            if let page = filler.add(profile(id: id, eventLimit: eventLimit), stage: stages[id], at: i) { return page }
        }
        return filler.page
    }

    public func stageMoves() -> [StageMove] {
        moves.sorted { ($0.day, $0.from, $0.to) < ($1.day, $1.from, $1.to) }
    }

    public func rollups(campaign: String) -> [Rollup] {
        (rollupRows[campaign] ?? [:]).values.sorted { ($0.goal, $0.arm, $0.day) < ($1.goal, $1.arm, $1.day) }
    }

    public func events(userId: String, limit: Int) -> [Event] {
        (events[userId] ?? []).suffix(limit).map(\.item)
    }

    public func deleteProfile(id: String, at time: Date) -> Bool {
        let had = records[id] != nil || events[id] != nil || interactions[id] != nil
        forgetRemovals(before: time.addingTimeInterval(-Removal.remembered))
        // Remembered when there was someone to remove.
        if had || stages[id] != nil || exposures.values.contains(where: { $0[id] != nil }) {
            removals[id] = max(time, removals[id] ?? time)
            removalOrder.append((time, id))
        }
        if stages[id] != nil { _ = move(id, to: "", at: time) }
        // Their queued events go with them.
        queued = Array(queued[queueStart...].filter { $0.userId != id })
        queueStart = 0
        records[id] = nil
        events[id] = nil
        messageIds[id] = nil
        interactions[id] = nil
        answers = answers.filter { $0.value.userId != id }
        identities = identities.filter { $0.key != id && $0.value.identity.user != id }
        for campaign in exposures.keys {
            exposures[campaign]?[id] = nil
            exposureOrigins[campaign + "\u{0}" + id] = nil
        }
        stages[id] = nil
        goalValues = goalValues.filter { !$0.key.hasSuffix("\u{0}" + id) }
        return had
    }

    public func record(_ interaction: Interaction, events batch: [UserEvent], attributing goals: GoalIndex) {
        Self.insert(Kept(interaction), into: &interactions[interaction.userId, default: []], time: \.time)
        if let exposure = Exposure(interaction) { keep([exposure]) }
        _ = append(batch, attributing: goals)
    }

    public func history(userId: String) -> InteractionHistory {
        InteractionHistory((interactions[userId] ?? []).map(\.item)).newest()
    }

    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) throws -> AdmissionResult
    {
        pruneAnswers(before: now.addingTimeInterval(-idempotencyLifetime))
        if let key = idempotency?.key, let kept = keptAnswer(key: key, at: now) { return .replayed(kept) }
        let admission = try decide(history(userId: userId))
        for i in admission.interactions { Self.insert(Kept(i), into: &interactions[i.userId, default: []], time: \.time) }
        keep(admission.allExposures)
        if let idempotency {
            answers[idempotency.key] = (userId, KeptAnswer(fingerprint: idempotency.fingerprint, answer: admission.answer), now)
            answerOrder.append((now, idempotency.key))
        }
        return .decided(admission.answer)
    }

    public func keptAnswer(key: String, at now: Date) -> KeptAnswer? {
        guard let entry = answers[key], entry.at > now.addingTimeInterval(-idempotencyLifetime) else { return nil }
        return entry.kept
    }

    private func pruneAnswers(before cutoff: Date) {
        while answerOrderStart < answerOrder.count, answerOrder[answerOrderStart].at <= cutoff {
            let (at, key) = answerOrder[answerOrderStart]
            if answers[key]?.at == at { answers[key] = nil }
            answerOrderStart += 1
        }
        if answerOrderStart > 1024, answerOrderStart * 2 > answerOrder.count {
            answerOrder.removeFirst(answerOrderStart)
            answerOrderStart = 0
        }
    }

    public func identify(anonymous: String, user: String, at time: Date) throws -> MergeResult {
        if let linked = identities[anonymous], linked.identity.user != user {
            throw IdentityError.linkedElsewhere(anonymousId: anonymous, userId: linked.identity.user)
        }
        guard let target = records[user] else { throw IdentityError.unknownUser(user) }
        let already = identities[anonymous]
        let visitor = records[anonymous]
        let (merged, traits) = MergeRecord.merge(target, visitor, at: time)
        records[user] = merged
        records[anonymous] = nil
        var movedEvents = 0
        var dropped: Set<String> = []
        for var e in events.removeValue(forKey: anonymous) ?? [] {
            if let m = e.messageId, !messageIds[user, default: []].insert(m).inserted {  // the same message, kept once
                dropped.insert(m)
                continue
            }
            e.origin = anonymous
            Self.insert(e, into: &events[user, default: []], time: \.time)
            movedEvents += 1
        }
        messageIds[anonymous] = nil
        // A dropped event is not attributed either (in SQL its queue row has no event left to join).
        if !dropped.isEmpty {
            queued = queued[queueStart...].filter { e in !(e.userId == anonymous && e.messageId.map(dropped.contains) == true) }
            queueStart = 0
        }
        let moved = interactions.removeValue(forKey: anonymous) ?? []
        for var i in moved {
            i.item.userId = user
            i.origin = anonymous
            Self.insert(i, into: &interactions[user, default: []], time: \.time)
        }
        // The visitor's exposures (and goal values) become the user's where the user has none for the campaign.
        for campaign in exposures.keys {
            guard var e = exposures[campaign]?[anonymous], exposures[campaign]?[user] == nil else { continue }
            exposures[campaign]?[anonymous] = nil
            e.userId = user
            exposures[campaign]?[user] = e
            exposureOrigins[campaign + "\u{0}" + user] = anonymous
            moveGoalValues(campaign, from: anonymous, to: user)
        }
        let identity = already?.identity ?? Identity(anonymous: anonymous, user: user, linkedAt: time)
        identities[anonymous] = (identity, already?.record ?? MergeRecord(visitor: visitor, userKeys: Set(target.traits.keys)))
        return MergeResult(identity: identity, events: movedEvents, interactions: moved.count, traits: traits, alreadyLinked: already != nil)
    }

    public func unlink(anonymous: String) -> MergeResult? {
        guard let (identity, record) = identities.removeValue(forKey: anonymous) else { return nil }
        let user = identity.user
        let (stay, back) = (events[user] ?? []).split(moving: { $0.origin == anonymous })
        events[user] = stay
        for var e in back {
            e.origin = nil
            if let m = e.messageId {
                messageIds[user]?.remove(m)
                messageIds[anonymous, default: []].insert(m)
            }
            Self.insert(e, into: &events[anonymous, default: []], time: \.time)
        }
        let (kept, given) = (interactions[user] ?? []).split(moving: { $0.origin == anonymous })
        interactions[user] = kept
        for var i in given {
            i.origin = nil
            i.item.userId = anonymous
            Self.insert(i, into: &interactions[anonymous, default: []], time: \.time)
        }
        // The exposures the merge gave the user go back to the visitor, with their goal values.
        for campaign in exposures.keys where exposureOrigins[campaign + "\u{0}" + user] == anonymous {
            guard var e = exposures[campaign]?[user] else { continue }
            exposures[campaign]?[user] = nil
            exposureOrigins[campaign + "\u{0}" + user] = nil
            e.userId = anonymous
            exposures[campaign]?[anonymous] = e
            moveGoalValues(campaign, from: user, to: anonymous)
        }
        var traits = 0
        if let current = records[user] { (records[user], traits) = record.unmerge(current) }
        if let visitor = record.visitor { records[anonymous] = visitor }
        return MergeResult(identity: identity, events: back.count, interactions: given.count, traits: traits, alreadyLinked: true)
    }

    public func linkedUser(anonymous: String) -> String? { identities[anonymous]?.identity.user }

    /// Moves one campaign's goal values (keyed campaign, goal, user) from one user to another.
    private func moveGoalValues(_ campaign: String, from: String, to: String) {
        for (key, value) in goalValues where key.hasPrefix(campaign + "\u{0}") && key.hasSuffix("\u{0}" + from) {
            goalValues[key] = nil
            goalValues[String(key.dropLast(from.count)) + to] = value
        }
    }

    public func export(userId: String) -> PersonalData? {
        let data = PersonalData(record: records[userId], events: events[userId] ?? [], interactions: interactions[userId] ?? [],
                                identities: identities.values.map(\.identity).filter { $0.user == userId }.sorted { $0.linkedAt < $1.linkedAt })
        return data.isEmpty ? nil : data
    }

    /// Forgets the removals made before `time`.
    private func forgetRemovals(before time: Date) {
        while removalStart < removalOrder.count, removalOrder[removalStart].at < time {
            let (at, id) = removalOrder[removalStart]
            if removals[id] == at { removals[id] = nil }
            removalStart += 1
        }
        if removalStart > 1_024, removalStart * 2 > removalOrder.count {
            removalOrder.removeFirst(removalStart)
            removalStart = 0
        }
    }

    public func prune(after cursor: String, subjects: Int, _ retention: Retention) -> PruneStep {
        // Once per pass, at its first step.
        if cursor.isEmpty { forgetRemovals(before: Date().addingTimeInterval(-Removal.remembered)) }
        let ids = Set(records.keys).union(events.keys).union(interactions.keys).filter { $0 > cursor }.sorted().prefix(subjects)
        var step = PruneStep(next: ids.count == subjects ? ids.last : nil, subjects: ids.count)
        for id in ids {
            let seen = [records[id]?.updatedAt, events[id]?.last?.item.time, interactions[id]?.last?.item.time].compactMap { $0 }.max()
            if identities[id] == nil, retention.visitorExpired(id, seen: seen) {
                _ = deleteProfile(id: id, at: Date())
                step.visitors += 1
                step.changed.append(id)
                continue
            }
            var changed = false
            if let limit = retention.interactionsPerKind, let list = interactions[id] {
                // The newest of each campaign and kind, as a history read keeps them (kept in time order), of the
                // user's own and of each visitor merged in apart.
                let kept = InteractionHistory.newest(list, limit) {
                    $0.item.campaign + "\u{0}" + $0.item.kind.rawValue + "\u{0}" + ($0.origin ?? "")
                }
                if kept.count < list.count {
                    interactions[id] = kept.isEmpty ? nil : kept
                    step.interactions += list.count - kept.count
                    changed = true
                }
            }
            if var list = events[id] {
                let count = list.count
                if let before = retention.eventsBefore { list.removeAll { $0.item.time < before } }
                if let limit = retention.eventsPerUser, list.count > limit { list.removeFirst(list.count - limit) }
                if list.count < count {
                    // A message id goes with its event (as a unique index forgets a deleted row).
                    events[id] = list.isEmpty ? nil : list
                    messageIds[id] = Set(list.compactMap(\.messageId))
                    step.events += count - list.count
                    changed = true
                }
            }
            if changed { step.changed.append(id) }
        }
        return step
    }

    public func ping() {}
}

extension Array {
    /// The elements for which `moves` is false, and those for which it is true, each in order.
    fileprivate func split(moving moves: (Element) -> Bool) -> ([Element], [Element]) {
        var stay: [Element] = []
        var move: [Element] = []
        for e in self { if moves(e) { move.append(e) } else { stay.append(e) } }
        return (stay, move)
    }
}
