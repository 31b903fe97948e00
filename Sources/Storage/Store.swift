import Foundation
import Liquid
import Localization
import Personalization

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

    /// Keeps events; returns how many were new (the rest repeated a kept message id).
    func append(_ events: [UserEvent]) async throws -> Int

    /// Records an interaction and the events it causes (a survey answer's `survey_answered`) in one write: both are
    /// kept, or neither.
    func record(_ interaction: Interaction, events: [UserEvent]) async throws

    /// The user's latest `limit` events, oldest first.
    func events(userId: String, limit: Int) async throws -> [Event]

    /// Removes the profile, its events and its ledger; returns whether there was anything to remove.
    func deleteProfile(id: String) async throws -> Bool

    /// Records interactions only when the user's history allows them, as one step: `decide` is given the history as
    /// kept and says what to record and what to answer, and no other admission for the same user (in this process
    /// or in another on the same database) runs in between. So a cap checked in `decide` holds however many
    /// requests arrive at once.
    ///
    /// With an idempotency key, an answer kept under it (for ``idempotencyLifetime`` from `now`) is returned instead
    /// of deciding again, and the answer decided is kept under it with what was recorded, in the same write.
    func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
               _ decide: @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult

    /// The answer kept under an idempotency key less than ``idempotencyLifetime`` before `now`.
    func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer?

    /// Checks that the store answers (readiness).
    func ping() async throws
}

/// What an admission records (nothing, when the history does not allow it) and answers.
public struct Admission: Sendable {
    public var interactions: [Interaction]
    /// The answer as JSON text: what a retry with the same idempotency key gets back.
    public var answer: String

    public init(interactions: [Interaction], answer: String) {
        self.interactions = interactions
        self.answer = answer
    }
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
        try await record(interaction, events: [])
    }

    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        (try await profile(id: userId, eventLimit: eventLimit), try await history(userId: userId))
    }

    public func forget(userId: String) async throws {
        _ = try await deleteProfile(id: userId)
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
