import Foundation
import Liquid
import Localization
import Personalization

/// A page of the users a store knows (``Store/users(after:limit:eventLimit:)``).
public struct UserPage: Sendable {
    public var users: [KnownUser]
    /// The last id looked at, where the next page starts; nil when this page reached the last id.
    public var next: String?

    /// Events past which a page ends (after the user that reached it).
    public static let eventBudget = 20_000

    public init(users: [KnownUser], next: String?) {
        self.users = users
        self.next = next
    }
}

/// Fills a ``UserPage`` from the ids a store listed (the first `limit` after the cursor), user by user, ending it
/// early at the event budget.
package struct UserPageFiller {
    private let ids: [String]
    private let limit: Int
    private var users: [KnownUser] = []
    private var held = 0

    package init(ids: [String], limit: Int) {
        self.ids = ids
        self.limit = limit
    }

    /// Adds what was read for the id at `index` (nil: not a user, only a ledger); returns the page when it ends there.
    package mutating func add(_ profile: Profile?, stage: String?, at index: Int) -> UserPage? {
        guard let profile else { return nil }
        users.append(KnownUser(profile: profile, stage: stage))
        held += profile.events.count
        return held >= UserPage.eventBudget && index < ids.count - 1 ? UserPage(users: users, next: ids[index]) : nil
    }

    /// The page, once every id was added.
    package var page: UserPage { UserPage(users: users, next: ids.count == limit ? ids.last : nil) }
}

/// A user as deciding reads them, with the lifecycle stage last recorded for them (nil when none was).
public struct KnownUser: Sendable {
    public var profile: Profile
    public var stage: String?

    public init(profile: Profile, stage: String?) {
        self.profile = profile
        self.stage = stage
    }
}

/// A profile as it is kept: who the user is, without the events (those are kept, and read, apart).
public struct ProfileRecord: Sendable, Equatable {
    public var id: String
    public var traits: LiquidObject
    /// An IANA zone name (`Europe/Paris`); nil means UTC.
    public var timeZone: String?
    /// A BCP 47 language tag in canonical form (`fr-CA`); nil means the content's default.
    public var locale: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, traits: LiquidObject = LiquidObject(), timeZone: String? = nil, locale: String? = nil,
                createdAt: Date, updatedAt: Date)
    {
        self.id = id
        self.traits = traits
        self.timeZone = timeZone
        self.locale = locale
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static func == (a: ProfileRecord, b: ProfileRecord) -> Bool {
        a.id == b.id && JSON.serialize(.object(a.traits)) == JSON.serialize(.object(b.traits)) && a.timeZone == b.timeZone
            && a.locale == b.locale && a.createdAt == b.createdAt && a.updatedAt == b.updatedAt
    }
}

/// An event as it arrives for a user. `messageId`, when a sender gives one, makes a retried batch harmless: an
/// event whose user and message id are already kept is skipped.
public struct UserEvent: Sendable {
    public var userId: String
    public var event: Event
    public var messageId: String?

    public init(userId: String, event: Event, messageId: String? = nil) {
        self.userId = userId
        self.event = event
        self.messageId = messageId
    }
}

/// What to do with a profile's traits: replace them whole, or merge a JSON merge patch (RFC 7396) into them.
public enum TraitsUpdate: Sendable {
    case replace(LiquidObject)
    case merge(LiquidObject)
}

/// Where the server keeps profiles, events and the interaction ledger. Every method that returns has made its
/// change durable: a process killed right after still has it.
///
/// One contract test suite runs against every implementation (memory, SQLite, PostgreSQL).
public protocol Store: InteractionLedger {
    /// Writes a profile's traits, zone and locale. Creates the profile when it is missing; returns whether it did.
    /// `timeZone` or `locale` nil keeps what a merge finds (a replace clears it).
    func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date) async throws
        -> (record: ProfileRecord, created: Bool)

    /// The profile's record, or nil when there is none.
    func profileRecord(id: String) async throws -> ProfileRecord?

    /// The user as the core decides for them: traits, zone and the latest `eventLimit` events, oldest first.
    /// Nil when the store knows nothing about the id (neither a profile nor an event).
    func profile(id: String, eventLimit: Int) async throws -> Profile?

    /// The user's profile and interaction history read together (one round trip where the store can).
    func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory)

    /// Keeps events; returns how many were new (the rest repeated a kept message id). In the same write, each new
    /// event some of the `goals` count is queued for attribution (``attributeQueued(_:limit:)``): a repeated event
    /// is queued once, as it is kept once. Attribution is not done here: what it writes (a value per user and goal,
    /// spread over the whole table) would make every write of events larger; done later for many events at once,
    /// it writes each row it touches once.
    func append(_ events: [UserEvent], attributing goals: GoalIndex) async throws -> Int

    /// Records an interaction and the events it causes (a survey answer's `survey_answered`) in one write: both are
    /// kept, or neither (the events queued as ``append(_:attributing:)`` does). An impression (a send is one) is the
    /// user's exposure to its campaign if they had none.
    func record(_ interaction: Interaction, events: [UserEvent], attributing goals: GoalIndex) async throws

    /// Attributes up to `limit` queued events, the oldest first, in one write: each counts for the `goals` of the
    /// campaigns its user (the one it belongs to now: a visitor's merged events count for the user) was exposed to
    /// before it happened, within the goal's window (see ``Attribution``), and they leave the queue. Events of users
    /// removed since are dropped from it. Returns how many were taken from the queue: 0 when it is empty. Several
    /// processes may run this at once on one database: each event is taken by one.
    func attributeQueued(_ goals: GoalIndex, limit: Int) async throws -> Int

    /// Returns once the attribution passes running now in other processes on this database have committed, so that
    /// rollups read next hold what they attributed (``attributeQueued(_:limit:)`` leaves the events such a pass holds
    /// to it). A results request makes its own pass, then waits here. Where one process writes, passes run one at a
    /// time in its writer, and there is nothing to wait for.
    func awaitOtherPasses() async throws

    /// Keeps the first exposure of each user to each campaign (a holdout user's, as deciding finds it); later ones
    /// change nothing. Impressions recorded by ``record(_:events:attributing:)`` and ``admit(userId:idempotency:at:_:)``
    /// expose their users by themselves. An exposure from before its user's removal (see ``Removal``) is not kept.
    func expose(_ exposures: [Exposure]) async throws

    /// A campaign's results as kept: its rollup rows, by goal (exposures first), arm and day.
    func rollups(campaign: String) async throws -> [Rollup]

    /// The lifecycle stage the user was last seen in, nil when none was recorded.
    func recordedStage(userId: String) async throws -> String?

    /// Records users' stages as seen, in one write: for each sighting in turn, when the stage is not the one
    /// recorded for the user, they move to it, and the move (from the recorded stage, or from none) counts in that
    /// day's ``StageMove`` row. Per sighting, the stage they came from when they moved ("" for a user seen for the
    /// first time), nil when they did not. A sighting from before its user's removal (see ``Removal``) records
    /// nothing (nil).
    func recordStages(_ sightings: [StageSighting]) async throws -> [String?]

    /// Every day's moves between stages, oldest day first.
    func stageMoves() async throws -> [StageMove]

    /// Up to `limit` of the users the store knows (a profile or an event), the first ids after `cursor` in id order,
    /// each as ``profile(id:eventLimit:)`` reads them, with the stage recorded for them: what a pass over every user
    /// (the stage sweep) reads a page at a time. A page ends early once its users hold ``UserPage/eventBudget``
    /// events (so a page of long histories stays small in memory): it may hold fewer users than `limit` and still not
    /// be the last.
    func users(after cursor: String, limit: Int, eventLimit: Int) async throws -> UserPage

    /// Claims the background pass `name` for the caller when none was started on this database in the `interval`
    /// before `now`, recording that it starts now: instances sharing a database run the pass once per interval
    /// between them, and a restarted process does not run it again early. Returns whether the caller claimed it,
    /// and when the pass last started (now, when it did).
    func claimPass(_ name: String, every interval: TimeInterval, at now: Date) async throws -> (claimed: Bool, lastStart: Date)

    /// Gives back a claim of `name` made at `start` that did not run to its end (the database went away), so the pass
    /// can be claimed again at once; a claim made since by someone else stays.
    func releasePass(_ name: String, claimedAt start: Date) async throws

    /// The user's latest `limit` events, oldest first.
    func events(userId: String, limit: Int) async throws -> [Event]

    /// Removes the profile, its events and its ledger (its exposures and goal values too; the campaigns' rollups,
    /// which name no one, keep counting them); returns whether there was anything to remove. A user kept in a
    /// lifecycle stage leaves it: a ``StageMove`` to no stage (`to` empty) counts on `time`'s day. The id and `time`
    /// are remembered for ``Removal/remembered`` (see ``Removal``).
    func deleteProfile(id: String, at time: Date) async throws -> Bool

    /// Records interactions only when the user's history allows them, as one step: `decide` is given the history as
    /// kept and says what to record and what to answer, and no other admission for the same user (in this process
    /// or in another on the same database) runs in between. So a cap checked in `decide` holds however many
    /// requests arrive at once.
    ///
    /// With an idempotency key, an answer kept under it (for ``idempotencyLifetime`` from `now`) is returned instead
    /// of deciding again, and the answer decided is kept under it with what was recorded, in the same write.
    /// `decide` may be kept past the call's return: a store that gave up waiting for its database lets that work end
    /// by itself (and the key makes a retry safe).
    func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
               _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult

    /// The answer kept under an idempotency key less than ``idempotencyLifetime`` before `now`.
    func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer?

    /// Merges an anonymous visitor (`anonymous`, its store id `anon:…`) into a known user, in one write: the
    /// visitor's events and interactions become the user's (each remembering where it came from), the visitor's
    /// traits go under the user's (the user's own win; zone and locale likewise), and the link is kept so that
    /// ``linkedUser(anonymous:)`` resolves the visitor to the user from then on. Linking again to the same user merges
    /// what the visitor did since; to another user is ``IdentityError/linkedElsewhere(anonymousId:userId:)``.
    func identify(anonymous: String, user: String, at time: Date) async throws -> MergeResult

    /// Undoes a merge: the link goes, and the visitor gets back the events and interactions that came from it and
    /// its profile (trait keys the user had only from the visitor, unchanged since, are taken off the user again).
    /// Nil when the visitor is not linked.
    func unlink(anonymous: String) async throws -> MergeResult?

    /// The user an anonymous visitor was merged into, if any.
    func linkedUser(anonymous: String) async throws -> String?

    /// Everything kept about a person, every event and interaction included (not only what deciding reads), for
    /// `GET /v1/profiles/{id}/export`. Nil when nothing is kept.
    func export(userId: String) async throws -> PersonalData?

    /// One step of retention, in one write: looks at the next `subjects` ids (every id with a profile, an event or
    /// an interaction, in the store's id order) after `cursor` ("" to start) and removes what `retention` no longer
    /// keeps. Steps are small so that serving never waits long behind one; a pass walks every id once.
    func prune(after cursor: String, subjects: Int, _ retention: Retention) async throws -> PruneStep

    /// Checks that the store answers (readiness).
    func ping() async throws
}

/// What a store that goes to a database can say about it (for `/metrics` and the load script).
public protocol StoreReporting: Sendable {
    /// Bytes the database library holds in this process, as it counts them (nil: it holds none here, or does not say).
    var memoryInUse: Int? { get }
    /// Reads that went to the database since the store was made (a call for a user's snapshot is one, whatever the
    /// number of statements it takes).
    var databaseReads: Int { get }
    /// Goal values written since they were last folded into their table, as this process counts them (nil: the store
    /// writes them in place).
    var goalValueLogRows: Int? { get }
}

/// What a store remembers of a person it removed: their id and when, for an hour, and nothing else.
///
/// What serving observed of a user (a holdout exposure, a stage) and a stage sweep's page are written a moment after
/// they were seen, and with several instances on one database, another instance may remove the user in between: its
/// own memory of the removal (``Store/forget(userId:)`` callers keep one) cannot cover the others. So the stores keep
/// the removal, and ``Store/expose(_:)`` and ``Store/recordStages(_:)`` drop what was seen of the user at or before
/// it. What is seen after it (the person coming back) is a new user's and is kept.
public enum Removal {
    /// How long a removal is remembered: far longer than a write waits (the observations' 50 ms, a sweep page's read
    /// and write), and short, as it names a person who asked to be forgotten.
    public static let remembered: TimeInterval = 3600

    /// Whether something seen at `time` was seen before a removal at `removedAt` (none: false).
    public static func precedes(_ time: Date, removedAt: Date?) -> Bool {
        guard let removedAt else { return false }
        return time <= removedAt
    }
}

/// An event or interaction as kept: with its message id (events) and the visitor it was merged from, if any.
public struct Kept<Item: Sendable>: Sendable {
    public var item: Item
    /// The anonymous visitor's store id it came from by ``Store/identify(anonymous:user:at:)``.
    public var origin: String?
    public var messageId: String?

    public init(_ item: Item, origin: String? = nil, messageId: String? = nil) {
        self.item = item
        self.origin = origin
        self.messageId = messageId
    }
}

/// Everything a store keeps about one person.
public struct PersonalData: Sendable {
    public var record: ProfileRecord?
    /// Oldest first.
    public var events: [Kept<Event>]
    public var interactions: [Kept<Interaction>]
    /// The visitors merged into them.
    public var identities: [Identity]

    public init(record: ProfileRecord?, events: [Kept<Event>], interactions: [Kept<Interaction>], identities: [Identity]) {
        self.record = record
        self.events = events
        self.interactions = interactions
        self.identities = identities
    }

    public var isEmpty: Bool { record == nil && events.isEmpty && interactions.isEmpty && identities.isEmpty }
}

/// An anonymous visitor merged into a user.
public struct Identity: Sendable, Equatable {
    /// The visitor's store id (`anon:` + the anonymous id).
    public var anonymous: String
    public var user: String
    public var linkedAt: Date

    public init(anonymous: String, user: String, linkedAt: Date) {
        self.anonymous = anonymous
        self.user = user
        self.linkedAt = linkedAt
    }
}

/// What a merge (or its undoing) moved.
public struct MergeResult: Sendable, Equatable {
    public var identity: Identity
    public var events: Int
    public var interactions: Int
    /// Trait keys the user got from the visitor (or gave back).
    public var traits: Int
    /// The visitor was linked to this user already (a repeated identify; what it did since was merged).
    public var alreadyLinked: Bool

    public init(identity: Identity, events: Int, interactions: Int, traits: Int, alreadyLinked: Bool) {
        self.identity = identity
        self.events = events
        self.interactions = interactions
        self.traits = traits
        self.alreadyLinked = alreadyLinked
    }
}

/// Merges refused: they change nothing.
public enum IdentityError: Error, Equatable, Sendable {
    /// No profile for the user to merge into.
    case unknownUser(String)
    /// The visitor is merged into another user; undo that first.
    case linkedElsewhere(anonymousId: String, userId: String)
}

/// The rules every store merges traits by, and what it keeps to undo a merge.
package struct MergeRecord: Sendable {
    /// The visitor's profile as it was (nil when it had none).
    package var visitor: ProfileRecord?
    /// The user's trait keys before the first merge: the others came from the visitor.
    package var userKeys: Set<String>

    package init(visitor: ProfileRecord?, userKeys: Set<String>) {
        self.visitor = visitor
        self.userKeys = userKeys
    }

    /// The user's record after merging `visitor` in: the visitor's traits under the user's, the user's zone and
    /// locale unless they have none; and how many keys came from the visitor.
    package static func merge(_ user: ProfileRecord, _ visitor: ProfileRecord?, at time: Date) -> (ProfileRecord, Int) {
        guard let visitor else { return (user, 0) }
        var merged = user
        var added = 0
        for (key, value) in visitor.traits.pairs where user.traits[key] == nil {
            merged.traits[key] = value
            added += 1
        }
        merged.timeZone = user.timeZone ?? visitor.timeZone
        merged.locale = user.locale ?? visitor.locale
        merged.updatedAt = time
        return (merged, added)
    }

    /// The user's traits with the visitor's keys taken back: those the user did not have before the merge and that
    /// still hold the visitor's value. How many were taken.
    package func unmerge(_ user: ProfileRecord) -> (ProfileRecord, Int) {
        guard let visitor else { return (user, 0) }
        var record = user
        var removed = 0
        for (key, value) in visitor.traits.pairs where !userKeys.contains(key) {
            if let now = record.traits[key], JSON.serialize(now) == JSON.serialize(value) {
                record.traits[key] = nil
                removed += 1
            }
        }
        return (record, removed)
    }

    /// As the SQL stores keep it (JSON).
    package var encoded: String {
        var o = LiquidObject([("user_keys", .array(userKeys.sorted().map(Value.string)))])
        if let v = visitor {
            o["visitor"] = .object(LiquidObject([
                ("traits", .object(v.traits)), ("time_zone", v.timeZone.map(Value.string) ?? .null),
                ("locale", v.locale.map(Value.string) ?? .null), ("created_at", .double(v.createdAt.timeIntervalSince1970)),
                ("updated_at", .double(v.updatedAt.timeIntervalSince1970)),
            ]))
        }
        return JSON.serialize(.object(o))
    }

    package init(id: String, encoded text: String) {
        let o = (try? JSON.parse(text))?.objectValue ?? LiquidObject()
        userKeys = Set((o["user_keys"]?.arrayValue ?? []).compactMap(\.stringValue))
        visitor = o["visitor"]?.objectValue.map { v in
            func time(_ key: String) -> Date {
                switch v[key] {
                case .double(let d)?: return Date(timeIntervalSince1970: d)
                case .int(let i)?: return Date(timeIntervalSince1970: Double(i))
                default: return Date(timeIntervalSince1970: 0)
                }
            }
            return ProfileRecord(id: id, traits: v["traits"]?.objectValue ?? LiquidObject(), timeZone: v["time_zone"]?.stringValue,
                                 locale: v["locale"]?.stringValue, createdAt: time("created_at"), updatedAt: time("updated_at"))
        }
    }
}

/// What an admission records (nothing, when the history does not allow it) and answers.
public struct Admission: Sendable {
    public var interactions: [Interaction]
    /// Exposures besides the impressions' (a holdout user's, when the message would have gone to them).
    public var exposures: [Exposure]
    /// The answer as JSON text: what a retry with the same idempotency key gets back.
    public var answer: String

    public init(interactions: [Interaction], exposures: [Exposure] = [], answer: String) {
        self.interactions = interactions
        self.exposures = exposures
        self.answer = answer
    }

    /// Every exposure the admission makes: its impressions', then the others.
    public var allExposures: [Exposure] { interactions.compactMap(Exposure.init) + exposures }
}

/// A client's key for one request (`Idempotency-Key`), with what that request asked: a retry sends the same key and
/// the same request; the same key with another request is a mistake the server refuses.
public struct IdempotencyKey: Sendable, Equatable {
    public var key: String
    /// A digest of the route and the body.
    public var fingerprint: String

    public init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// An answer kept under an idempotency key, with the fingerprint of the request that got it.
public struct KeptAnswer: Sendable, Equatable {
    public var fingerprint: String
    public var answer: String

    public init(fingerprint: String, answer: String) {
        self.fingerprint = fingerprint
        self.answer = answer
    }
}

public enum AdmissionResult: Sendable, Equatable {
    /// Decided now; what it recorded is kept.
    case decided(String)
    /// The idempotency key's first answer, kept earlier; nothing was recorded now.
    case replayed(KeptAnswer)
}

/// How long an idempotency key's answer is kept: a day, as payment APIs keep theirs; a retry later decides again.
public let idempotencyLifetime: TimeInterval = 86_400

extension Store {
    /// An interaction with nothing else to keep: the one write path, with no events.
    public func record(_ interaction: Interaction) async throws {
        try await record(interaction, events: [], attributing: .none)
    }

    public func record(_ interaction: Interaction, events: [UserEvent]) async throws {
        try await record(interaction, events: events, attributing: .none)
    }

    /// One user's stage as seen at `time` (see ``recordStages(_:)``).
    public func recordStage(userId: String, stage: String, at time: Date) async throws -> String? {
        try await recordStages([StageSighting(userId: userId, stage: stage, time: time)])[0]
    }

    /// Events that count for no goal.
    public func append(_ events: [UserEvent]) async throws -> Int {
        try await append(events, attributing: .none)
    }

    /// Attributes everything queued, `limit` events per write; returns how many were taken.
    @discardableResult
    public func attributeAllQueued(_ goals: GoalIndex, limit: Int = 5_000) async throws -> Int {
        var taken = 0
        while true {
            let n = try await attributeQueued(goals, limit: limit)
            taken += n
            if n < limit { return taken }
        }
    }

    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        (try await profile(id: userId, eventLimit: eventLimit), try await history(userId: userId))
    }

    public func forget(userId: String) async throws {
        _ = try await deleteProfile(id: userId)
    }

    /// Removes the profile now (see ``deleteProfile(id:at:)``).
    public func deleteProfile(id: String) async throws -> Bool {
        try await deleteProfile(id: id, at: Date())
    }
}

extension TraitsUpdate {
    /// The traits after this update is applied to `old`.
    public func apply(to old: LiquidObject) -> LiquidObject {
        switch self {
        case .replace(let new): return new
        case .merge(let patch): return Self.mergePatch(old, patch)
        }
    }

    /// RFC 7396: a null removes a key, an object merges into an object, anything else replaces.
    static func mergePatch(_ target: LiquidObject, _ patch: LiquidObject) -> LiquidObject {
        var result = target
        for (key, value) in patch.pairs {
            switch value {
            case .null:
                result[key] = nil
            case .object(let inner):
                let base = result[key]?.objectValue ?? LiquidObject()
                result[key] = .object(mergePatch(base, inner))
            default:
                result[key] = value
            }
        }
        return result
    }
}

extension Store {
    /// Writes a profile's traits and zone, its locale as a merge or replace leaves it.
    public func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, at time: Date) async throws
        -> (record: ProfileRecord, created: Bool)
    {
        try await saveProfile(id: id, traits: traits, timeZone: timeZone, locale: nil, at: time)
    }
}

extension ProfileRecord {
    /// The record after a save: traits updated, the zone and locale replaced (a replace clears them when none is
    /// given, a merge keeps them), the update time set. Every store saves through this.
    package func saving(_ traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date) -> ProfileRecord {
        var record = self
        record.traits = traits.apply(to: self.traits)
        if case .replace = traits {
            record.timeZone = timeZone
            record.locale = locale
        } else {
            if let timeZone { record.timeZone = timeZone }
            if let locale { record.locale = locale }
        }
        record.updatedAt = time
        return record
    }
}

/// Problems a store reports about what it was given (not about itself).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The store cannot be reached for now (a database restarting, a connection not had in time): nothing was written by
/// the call that got it, and the same call may be made again after `retryAfter` seconds. The server answers it with
/// a 503 problem and `Retry-After`.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public let description: String
    public let retryAfter: Int

    public init(_ description: String, retryAfter: Int = 1) {
        self.description = description
        self.retryAfter = retryAfter
    }
}

/// The traits and events encoded as the SQL stores (SQLite, PostgreSQL) keep them.
package enum Encoding {
    package static func traits(_ object: LiquidObject) -> String { JSON.serialize(.object(object)) }

    package static func traits(_ text: String) -> LiquidObject {
        (try? JSON.parse(text))?.objectValue ?? LiquidObject()
    }

    package static func properties(_ object: LiquidObject) -> String? {
        object.isEmpty ? nil : JSON.serialize(.object(object))
    }

    package static func properties(_ text: String?) -> LiquidObject {
        guard let text else { return LiquidObject() }
        return (try? JSON.parse(text))?.objectValue ?? LiquidObject()
    }

    package static func data(_ value: Value?) -> String? { value.map(JSON.serialize) }

    package static func data(_ text: String?) -> Value? { text.flatMap { try? JSON.parse($0) } }

    /// An event from its stored columns.
    package static func event(name: String, time: Double, properties: String?) -> Event {
        Event(name: name, time: Date(timeIntervalSince1970: time), properties: Self.properties(properties))
    }

    /// An interaction from its stored columns; nil for a channel or kind this build does not know.
    package static func interaction(userId: String, campaign: String, channel: String, kind: String, time: Double,
                                    variant: String?, placement: String?, data: String?) -> Interaction?
    {
        guard let channel = Channel(rawValue: channel), let kind = Interaction.Kind(rawValue: kind) else { return nil }
        return Interaction(userId: userId, campaign: campaign, channel: channel, kind: kind, time: Date(timeIntervalSince1970: time),
                           variant: variant, placement: placement, data: Self.data(data))
    }

    package static func zone(_ name: String?) -> TimeZone {
        name.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
    }

    /// Builds the core's profile from what a store read. A locale the store holds was checked when it was written;
    /// one that no longer reads (written by hand) counts as none.
    package static func profile(id: String, record: ProfileRecord?, events: [Event]) -> Profile {
        Profile(id: id, traits: record?.traits ?? LiquidObject(), timeZone: zone(record?.timeZone),
                locale: record?.locale.flatMap { try? LocaleTag(parsing: $0) }, events: events)
    }
}
