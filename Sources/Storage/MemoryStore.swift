import Foundation
import Liquid
import Personalization

/// Everything in the process's memory: for tests and for `stagecraft serve --database memory` (gone at exit).
public actor MemoryStore: Store {
    private var records: [String: ProfileRecord] = [:]
    /// Per user, oldest first; events at the same instant keep their arrival order.
    private var events: [String: [Event]] = [:]
    private var messageIds: [String: Set<String>] = [:]
    private var interactions: [String: InteractionHistory] = [:]
    /// Kept answers by idempotency key, with the user they were for; and the keys in the order they were kept,
    /// so that expired ones go from the front.
    private var answers: [String: (userId: String, kept: KeptAnswer, at: Date)] = [:]
    private var answerOrder: [(at: Date, key: String)] = []
    private var answerOrderStart = 0

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
        return Encoding.profile(id: id, record: record, events: Array(kept.suffix(eventLimit)))
    }

    public func append(_ batch: [UserEvent]) -> Int {
        var added = 0
        for e in batch {
            if let m = e.messageId {
                guard messageIds[e.userId, default: []].insert(m).inserted else { continue }
            }
            var list = events[e.userId, default: []]
            let index = list.lastIndex { $0.time <= e.event.time }.map { $0 + 1 } ?? 0
            list.insert(e.event, at: index)
            events[e.userId] = list
            added += 1
        }
        return added
    }

    public func events(userId: String, limit: Int) -> [Event] {
        Array((events[userId] ?? []).suffix(limit))
    }

    public func deleteProfile(id: String) -> Bool {
        let had = records[id] != nil || events[id] != nil || interactions[id] != nil
        records[id] = nil
        events[id] = nil
        messageIds[id] = nil
        interactions[id] = nil
        answers = answers.filter { $0.value.userId != id }
        return had
    }

    public func record(_ interaction: Interaction, events batch: [UserEvent]) {
        interactions[interaction.userId, default: InteractionHistory()].append(interaction)
        _ = append(batch)
    }

    public func history(userId: String) -> InteractionHistory {
        interactions[userId] ?? InteractionHistory()
    }

    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @Sendable (InteractionHistory) throws -> Admission) throws -> AdmissionResult
    {
        pruneAnswers(before: now.addingTimeInterval(-idempotencyLifetime))
        if let key = idempotency?.key, let kept = keptAnswer(key: key, at: now) { return .replayed(kept) }
        let admission = try decide(history(userId: userId))
        for i in admission.interactions { interactions[i.userId, default: InteractionHistory()].append(i) }
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

    public func ping() {}
}
