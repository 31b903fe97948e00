import Foundation
import Liquid
import Personalization
import Synchronization

/// A store with the users it read lately kept in memory, parsed: the profile with its events and the ledger, as
/// the hot path (every block) reads them. Every write through this store drops the user's entry, so for a store
/// that only this process writes (the embedded SQLite file) reads are never stale.
///
/// For a store others write too (several instances on one PostgreSQL), made with `sharedWriters: true`, the cache is
/// used only while someone tells it of every change: ``startFollowing()`` once changes are being heard,
/// ``changed(users:)`` and ``changed(link:)`` for each, ``stopFollowing()`` when they may no longer be (a lost
/// connection): until the next start, every read goes to the store behind. Reads that began before a change was
/// heard never fill the cache with what they read.
///
/// The bound is on rows (events plus interactions) and on bytes (an estimate of what the parsed entries hold:
/// traits, events and their properties, interactions), not users; past either, the least recently used entries of a
/// small random sample go (as Redis approximates LRU). One entry may take a quarter of either at most.
public final class CachedStore: Store {
    public let base: any Store
    public let capacity: Int
    public let maxBytes: Int

    private struct Entry {
        let profile: Profile?
        let history: InteractionHistory
        let cost: Int
        let bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var cost = 0
        var bytes = 0
        var tick: UInt64 = 0
        /// Bumped after every write, per stripe of users: a read that began before a write does not fill the cache
        /// with what it read.
        var stripes = [UInt64](repeating: 0, count: 256)
        /// Visitors' links as read (nil: not linked), for the anonymous requests that each look theirs up; and a
        /// count of the merges, undos and deletions through this store, so a read that began before one of them
        /// does not keep what it read.
        var links: [String: String?] = [:]
        var linkGeneration: UInt64 = 0
        /// Whether entries may be used and kept: always for a store only this process writes; for one with other
        /// writers, while their changes are heard.
        var following: Bool
        /// Snapshots answered from an entry, and those read from the store behind.
        var hits = 0
        var misses = 0

        /// Drops a user's entry and what it counted.
        mutating func drop(_ userId: String) {
            guard let e = entries.removeValue(forKey: userId) else { return }
            cost -= e.cost
            bytes -= e.bytes
        }
    }

    private let state: Mutex<State>
    private let eventLimit: Int

    /// `capacity` rows and `maxBytes` bytes in all; `eventLimit` is the number of events the server reads per user
    /// (entries hold that many). With `sharedWriters`, the cache is off until ``startFollowing()``.
    public init(_ base: any Store, capacity: Int, maxBytes: Int = 256 << 20, eventLimit: Int, sharedWriters: Bool = false) {
        self.base = base
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.eventLimit = eventLimit
        self.state = Mutex(State(following: !sharedWriters))
    }

    /// Changes by others are heard from now on: what was kept before is dropped (changes may have been missed), and
    /// the cache is used again.
    public func startFollowing() {
        forgetAll(following: true)
    }

    /// Changes by others may go unheard from now on: the cache is dropped and not used until ``startFollowing()``.
    public func stopFollowing() {
        forgetAll(following: false)
    }

    private func forgetAll(following: Bool) {
        state.withLock { st in
            st.following = following
            st.entries.removeAll()
            st.cost = 0
            st.bytes = 0
            for i in st.stripes.indices { st.stripes[i] &+= 1 }
            st.links.removeAll()
            st.linkGeneration &+= 1
        }
    }

    /// Whether the cache is in use (see ``startFollowing()``).
    public var isFollowing: Bool { state.withLock { $0.following } }

    /// Another writer changed these users' profiles, events or ledgers.
    public func changed(users: some Sequence<String>) {
        invalidate(users)
    }

    /// Another writer linked or unlinked this anonymous visitor.
    public func changed(link anonymous: String) {
        state.withLock { st in
            st.links[anonymous] = nil
            st.linkGeneration &+= 1
        }
    }

    private static func stripe(_ userId: String) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in userId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h & 255)
    }

    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        guard eventLimit == self.eventLimit, capacity > 0 else { return try await base.snapshot(userId: userId, eventLimit: eventLimit) }
        let s = Self.stripe(userId)
        let (hit, version, following): ((Profile?, InteractionHistory)?, UInt64, Bool) = state.withLock { st in
            guard st.following else { return (nil, 0, false) }
            st.tick &+= 1
            // One lookup, and the entry marked used where it is (not copied out and written back).
            if let i = st.entries.index(forKey: userId) {
                st.entries.values[i].used = st.tick
                st.hits += 1
                let e = st.entries.values[i]
                return ((e.profile, e.history), 0, true)
            }
            st.misses += 1
            return (nil, st.stripes[s], true)
        }
        if let hit { return hit }
        let read = try await base.snapshot(userId: userId, eventLimit: eventLimit)
        guard following else { return read }
        let cost = 1 + (read.profile?.events.count ?? 0) + read.history.interactions.count
        guard cost <= capacity / 4 else { return read }
        let bytes = Footprint.bytes(userId, read.profile, read.history)
        guard bytes <= maxBytes / 4 else { return read }
        state.withLock { st in
            guard st.following, st.stripes[s] == version, st.entries[userId] == nil else { return }
            st.entries[userId] = Entry(profile: read.profile, history: read.history, cost: cost, bytes: bytes, used: st.tick)
            st.cost += cost
            st.bytes += bytes
            while st.cost > capacity || st.bytes > maxBytes, !st.entries.isEmpty {
                var oldest: (String, UInt64)?
                for _ in 0..<8 {
                    guard let (k, e) = st.entries.randomElement() else { break }
                    if oldest == nil || e.used < oldest!.1 { oldest = (k, e.used) }
                }
                if let (k, _) = oldest { st.drop(k) }
            }
        }
        return read
    }

    /// Drops the users' entries once their write is done.
    private func invalidate(_ users: some Sequence<String>) {
        state.withLock { st in
            for u in users {
                st.stripes[Self.stripe(u)] &+= 1
                st.drop(u)
            }
        }
    }

    /// Entries held, their rows and their estimated bytes (for tests and metrics).
    public var usage: (users: Int, rows: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.cost, $0.bytes) } }

    /// Snapshots answered from memory and those read from the store behind, since the cache was made.
    public var lookups: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

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

    public func append(_ events: [UserEvent], attributing goals: GoalIndex) async throws -> Int {
        defer { invalidate(Set(events.map(\.userId))) }
        return try await base.append(events, attributing: goals)
    }

    /// Exposures and rollups are not what deciding reads: they go to the store behind.
    public func expose(_ exposures: [Exposure]) async throws { try await base.expose(exposures) }

    public func rollups(campaign: String) async throws -> [Rollup] { try await base.rollups(campaign: campaign) }

    public func attributeQueued(_ goals: GoalIndex, limit: Int) async throws -> Int { try await base.attributeQueued(goals, limit: limit) }
    public func awaitOtherPasses() async throws { try await base.awaitOtherPasses() }

    public func recordedStage(userId: String) async throws -> String? { try await base.recordedStage(userId: userId) }

    public func recordStages(_ sightings: [StageSighting]) async throws -> [String?] { try await base.recordStages(sightings) }

    public func stageMoves() async throws -> [StageMove] { try await base.stageMoves() }

    public func claimPass(_ name: String, every interval: TimeInterval, at now: Date) async throws -> (claimed: Bool, lastStart: Date) {
        try await base.claimPass(name, every: interval, at: now)
    }

    public func releasePass(_ name: String, claimedAt start: Date) async throws { try await base.releasePass(name, claimedAt: start) }

    /// Read past the cache: a pass over every user would push out the ones being served.
    public func users(after cursor: String, limit: Int, eventLimit: Int) async throws -> UserPage {
        try await base.users(after: cursor, limit: limit, eventLimit: eventLimit)
    }

    public func events(userId: String, limit: Int) async throws -> [Event] { try await base.events(userId: userId, limit: limit) }

    public func deleteProfile(id: String, at time: Date) async throws -> Bool {
        defer {
            // A user deleted takes the links to them along: the links read are forgotten (deletions are rare).
            state.withLock { st in
                st.links.removeAll()
                st.linkGeneration &+= 1
            }
            invalidate([id])
        }
        return try await base.deleteProfile(id: id, at: time)
    }

    public func record(_ interaction: Interaction, events: [UserEvent], attributing goals: GoalIndex) async throws {
        defer { invalidate(Set([interaction.userId] + events.map(\.userId))) }
        try await base.record(interaction, events: events, attributing: goals)
    }

    public func history(userId: String) async throws -> InteractionHistory {
        try await snapshot(userId: userId, eventLimit: eventLimit).history
    }

    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult
    {
        defer { invalidate([userId]) }
        return try await base.admit(userId: userId, idempotency: idempotency, at: now, decide)
    }

    public func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer? { try await base.keptAnswer(key: key, at: now) }

    public func identify(anonymous: String, user: String, at time: Date) async throws -> MergeResult {
        defer { forgetLink(anonymous, [anonymous, user]) }
        return try await base.identify(anonymous: anonymous, user: user, at: time)
    }

    public func unlink(anonymous: String) async throws -> MergeResult? {
        let result = try await base.unlink(anonymous: anonymous)
        forgetLink(anonymous, [anonymous] + (result.map { [$0.identity.user] } ?? []))
        return result
    }

    /// Read once per visitor, then from memory until a merge or an undo for them (through this store) changes it.
    public func linkedUser(anonymous: String) async throws -> String? {
        let (known, generation, following) = state.withLock { ($0.links[anonymous], $0.linkGeneration, $0.following) }
        if let known { return known }
        let linked = try await base.linkedUser(anonymous: anonymous)
        guard following else { return linked }
        state.withLock { st in
            guard st.following, st.linkGeneration == generation else { return }
            // Each entry is an id and an answer: 64K of them, a few megabytes for ids like UUIDs.
            if st.links.count >= 1 << 16 { st.links.removeAll(keepingCapacity: true) }
            st.links[anonymous] = .some(linked)
        }
        return linked
    }

    private func forgetLink(_ anonymous: String, _ users: [String]) {
        state.withLock { st in
            st.links[anonymous] = nil
            st.linkGeneration &+= 1
        }
        invalidate(users)
    }

    public func export(userId: String) async throws -> PersonalData? { try await base.export(userId: userId) }

    public func prune(after cursor: String, subjects: Int, _ retention: Retention) async throws -> PruneStep {
        let step = try await base.prune(after: cursor, subjects: subjects, retention)
        invalidate(step.changed)
        return step
    }

    public func ping() async throws { try await base.ping() }

    /// What the store behind reports (the cache's own estimate is ``usage``).
    public var baseReporting: (any StoreReporting)? { base as? any StoreReporting }
}

/// What a cached user holds in memory, estimated from the sizes of its strings and the values' shapes (Swift's
/// layouts: a string of up to 15 bytes is inline, a dictionary entry and an array element have their overheads).
/// An estimate, kept within about a factor of two of the heap's own count, so the bound follows what users hold.
enum Footprint {
    static func bytes(_ userId: String, _ profile: Profile?, _ history: InteractionHistory) -> Int {
        var n = 256 + string(userId)
        if let profile {
            n += object(profile.traits)
            // Each event, its properties, and its place in the profile's indexes by name and time.
            for e in profile.events { n += 96 + string(e.name) + object(e.properties) }
        }
        for i in history.interactions {
            n += 160 + string(i.campaign) + (i.variant.map(string) ?? 0) + (i.placement.map(string) ?? 0) + (i.data.map(value) ?? 0)
        }
        return n
    }

    static func string(_ s: String) -> Int { s.utf8.count <= 15 ? 0 : 32 + s.utf8.count }

    static func object(_ o: LiquidObject) -> Int {
        guard !o.isEmpty else { return 0 }
        var n = 64
        for (k, v) in o.pairs { n += 48 + string(k) + value(v) }
        return n
    }

    static func value(_ v: Value) -> Int {
        switch v {
        case .string(let s): return string(s)
        case .array(let a): return 32 + a.reduce(0) { $0 + 24 + value($1) }
        case .object(let o): return object(o)
        default: return 0
        }
    }
}
