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
        return had
    }

    public func record(_ interaction: Interaction, events batch: [UserEvent]) {
        interactions[interaction.userId, default: InteractionHistory()].append(interaction)
        _ = append(batch)
    }

    public func history(userId: String) -> InteractionHistory {
        interactions[userId] ?? InteractionHistory()
    }

    public func ping() {}
}
