import Foundation
import Personalization
import Synchronization

/// A store with the users it read lately kept in memory, parsed: the profile with its events and the ledger, as
/// the hot path (every block) reads them. Every write through this store drops the user's entry, so for a store
/// that only this process writes (the embedded SQLite file) reads are never stale. Several server instances on one
/// PostgreSQL database must not use it: each would miss the others' writes.
///
/// The bound is on rows (events plus interactions), not users; past it the least recently used entries of a
/// small random sample go (as Redis approximates LRU).
public final class CachedStore: Store {
    public let base: any Store
    public let capacity: Int

    private struct Entry {
        let profile: Profile?
        let history: InteractionHistory
        let cost: Int
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var cost = 0
        var tick: UInt64 = 0
        /// Bumped after every write, per stripe of users: a read that began before a write does not fill the cache
        /// with what it read.
        var stripes = [UInt64](repeating: 0, count: 256)
    }

    private let state = Mutex(State())
    private let eventLimit: Int

    /// `capacity` rows in all; `eventLimit` is the number of events the server reads per user (entries hold that many).
    public init(_ base: any Store, capacity: Int, eventLimit: Int) {
        self.base = base
        self.capacity = capacity
        self.eventLimit = eventLimit
    }

    private static func stripe(_ userId: String) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in userId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h & 255)
    }

    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        guard eventLimit == self.eventLimit, capacity > 0 else { return try await base.snapshot(userId: userId, eventLimit: eventLimit) }
        let s = Self.stripe(userId)
        let (hit, version): ((Profile?, InteractionHistory)?, UInt64) = state.withLock { st in
            st.tick &+= 1
            if var e = st.entries[userId] {
                e.used = st.tick
                st.entries[userId] = e
                return ((e.profile, e.history), 0)
            }
            return (nil, st.stripes[s])
        }
        if let hit { return hit }
        let read = try await base.snapshot(userId: userId, eventLimit: eventLimit)
        let cost = 1 + (read.profile?.events.count ?? 0) + read.history.interactions.count
        guard cost <= capacity / 4 else { return read }
        state.withLock { st in
            guard st.stripes[s] == version, st.entries[userId] == nil else { return }
            st.entries[userId] = Entry(profile: read.profile, history: read.history, cost: cost, used: st.tick)
            st.cost += cost
            while st.cost > capacity, !st.entries.isEmpty {
                var oldest: (String, UInt64)?
                for _ in 0..<8 {
                    guard let (k, e) = st.entries.randomElement() else { break }
                    if oldest == nil || e.used < oldest!.1 { oldest = (k, e.used) }
                }
                if let (k, _) = oldest, let e = st.entries.removeValue(forKey: k) { st.cost -= e.cost }
            }
        }
        return read
    }

    /// Drops the users' entries once their write is done.
    private func invalidate(_ users: some Sequence<String>) {
        state.withLock { st in
            for u in users {
                st.stripes[Self.stripe(u)] &+= 1
                if let e = st.entries.removeValue(forKey: u) { st.cost -= e.cost }
            }
        }
    }

    /// Entries held, and their rows (for tests and metrics).
    public var usage: (users: Int, rows: Int) { state.withLock { ($0.entries.count, $0.cost) } }

    public func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date) async throws
        -> (record: ProfileRecord, created: Bool)
    {
        defer { invalidate([id]) }
        return try await base.saveProfile(id: id, traits: traits, timeZone: timeZone, locale: locale, at: time)
    }

    public func profileRecord(id: String) async throws -> ProfileRecord? { try await base.profileRecord(id: id) }

    public func profile(id: String, eventLimit: Int) async throws -> Profile? {
        try await snapshot(userId: id, eventLimit: eventLimit).profile
    }

    public func append(_ events: [UserEvent]) async throws -> Int {
        defer { invalidate(Set(events.map(\.userId))) }
        return try await base.append(events)
    }

    public func events(userId: String, limit: Int) async throws -> [Event] { try await base.events(userId: userId, limit: limit) }

    public func deleteProfile(id: String) async throws -> Bool {
        defer { invalidate([id]) }
        return try await base.deleteProfile(id: id)
    }

    public func record(_ interaction: Interaction, events: [UserEvent]) async throws {
        defer { invalidate(Set([interaction.userId] + events.map(\.userId))) }
        try await base.record(interaction, events: events)
    }

    public func history(userId: String) async throws -> InteractionHistory {
        try await snapshot(userId: userId, eventLimit: eventLimit).history
    }

    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult
    {
        defer { invalidate([userId]) }
        return try await base.admit(userId: userId, idempotency: idempotency, at: now, decide)
    }

    public func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer? { try await base.keptAnswer(key: key, at: now) }

    public func ping() async throws { try await base.ping() }
}
