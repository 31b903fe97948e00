import Foundation
import Liquid
import Localization
import Logging
import Personalization
import PostgresStorage
import SQLiteStorage
import Storage
import Synchronization
import Testing

/// The stores the contract runs on: memory and SQLite always, PostgreSQL when `STAGECRAFT_TEST_POSTGRES_URL`
/// names a database (`.ci/run` starts one and sets it). `foldingSQLite` folds its goal value log into its table at
/// every attribution pass, so that a user's values are found in both places (the default folds at 20,000 rows, which
/// no test here reaches).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite, cachedSQLite, foldingSQLite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["STAGECRAFT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var available: [StoreKind] { postgresURL == nil ? [.memory, .sqlite, .cachedSQLite, .foldingSQLite] : allCases }
}

/// Runs `body` with a fresh, empty store of the kind.
func withStore<T>(_ kind: StoreKind, _ body: (any Store) async throws -> T) async throws -> T {
    switch kind {
    case .memory:
        return try await body(MemoryStore())
    case .sqlite, .cachedSQLite, .foldingSQLite:
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path, goalValueLog: kind == .foldingSQLite ? 1 : 20_000)
        // The cache as the server sets it up, with the event limit the contract reads with.
        return try await body(kind == .cachedSQLite ? CachedStore(sqlite, capacity: 10_000, eventLimit: 10) : sqlite)
    case .postgres:
        var logger = Logger(label: "test")
        logger.logLevel = .error  // the pool warns when a query races its start
        let store = try PostgresStore(url: StoreKind.postgresURL!, logger: logger)
        if let why = postgresUnreachable.withLock({ $0 }) { throw StoreUnavailable(why) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            do {
                // The migration first: when the address is wrong, its error says why.
                try await store.migrate()
            } catch let error as StoreUnavailable {
                // Only a definite cause (a refused password, a missing database, a closed port) fails the rest; a
                // slow moment (no connection in time, yet one outside the pool, or none in time either) fails this test.
                let why = error.description
                if why.contains("(connecting outside the pool: ") && !why.contains("no answer within") {
                    postgresUnreachable.withLock { $0 = why }
                }
                throw error
            }
            try await store.dropEverything()
            try await store.migrate()
            return try await body(store)
        }
    }
}

/// Why the test database could not be reached, once a test has found it so: the tests after it fail at once with
/// the cause (a password, a database missing) rather than each waiting for its own connection first.
private let postgresUnreachable = Mutex<String?>(nil)

private let t0 = Timestamp.parse("2026-06-01T12:00:00Z")!

private func event(_ name: String, _ seconds: Double, _ properties: [(String, Value)] = []) -> Event {
    Event(name: name, time: t0.addingTimeInterval(seconds), properties: LiquidObject(properties))
}

@Suite("Store contract (memory, SQLite, SQLite cached, PostgreSQL)", .serialized)
struct StoreContractTests {
    @Test("profiles: create, merge patch, replace, zone", arguments: StoreKind.available)
    func profiles(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.profileRecord(id: "u1") == nil)
            #expect(try await store.profile(id: "u1", eventLimit: 100) == nil)

            let traits = LiquidObject([("name", "Ada"), ("plan", "trial"), ("prefs", .object(LiquidObject([("lang", "en"), ("tz", "x")])))])
            let (created, isNew) = try await store.saveProfile(id: "u1", traits: .replace(traits), timeZone: "Europe/Paris", at: t0)
            #expect(isNew)
            #expect(created.createdAt == t0 && created.updatedAt == t0)
            #expect(try await store.profileRecord(id: "u1") == created)

            // RFC 7396: null removes, objects merge, the rest replaces; a merge without a zone keeps it.
            let patch = LiquidObject([("plan", "pro"), ("name", .null), ("prefs", .object(LiquidObject([("tz", .null), ("theme", "dark")])))])
            let later = t0.addingTimeInterval(60)
            let (merged, second) = try await store.saveProfile(id: "u1", traits: .merge(patch), timeZone: nil, at: later)
            #expect(!second)
            #expect(JSON.serialize(.object(merged.traits)) == #"{"plan":"pro","prefs":{"lang":"en","theme":"dark"}}"#)
            #expect(merged.timeZone == "Europe/Paris" && merged.createdAt == t0 && merged.updatedAt == later)
            #expect(try await store.profileRecord(id: "u1") == merged)

            let (replaced, _) = try await store.saveProfile(id: "u1", traits: .replace(LiquidObject([("z", 1), ("a", 2)])),
                                                            timeZone: nil, at: later)
            #expect(replaced.timeZone == nil)
            let profile = try #require(try await store.profile(id: "u1", eventLimit: 10))
            #expect(profile.traits.keys == ["z", "a"], "key order is kept")
            #expect(profile.timeZone.secondsFromGMT(for: t0) == 0, "no zone is UTC")
        }
    }

    @Test("profiles: the locale is kept, merged and cleared as the zone is, and read into the profile", arguments: StoreKind.available)
    func locales(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let (created, _) = try await store.saveProfile(id: "l1", traits: .replace(LiquidObject()), timeZone: nil, locale: "zh-Hant-TW", at: t0)
            #expect(created.locale == "zh-Hant-TW")
            #expect(try await store.profileRecord(id: "l1")?.locale == "zh-Hant-TW")
            #expect(try await store.profile(id: "l1", eventLimit: 10)?.locale?.identifier == "zh-Hant-TW")
            // A merge without a locale keeps it; with one, changes it; a replace without one clears it.
            let (kept, _) = try await store.saveProfile(id: "l1", traits: .merge(LiquidObject([("a", 1)])), timeZone: nil, at: t0)
            #expect(kept.locale == "zh-Hant-TW")
            let (changed, _) = try await store.saveProfile(id: "l1", traits: .merge(LiquidObject()), timeZone: nil, locale: "ar", at: t0)
            let changedProfile = try await store.profile(id: "l1", eventLimit: 10)
            #expect(changed.locale == "ar" && changedProfile?.locale?.identifier == "ar")
            let (cleared, _) = try await store.saveProfile(id: "l1", traits: .replace(LiquidObject()), timeZone: nil, at: t0)
            let clearedProfile = try await store.profile(id: "l1", eventLimit: 10)
            #expect(cleared.locale == nil && clearedProfile?.locale == nil)
        }
    }

    @Test("events: order, latest N, message ids, users without a profile", arguments: StoreKind.available)
    func events(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let batch = [
                UserEvent(userId: "u2", event: event("b", 10)),
                UserEvent(userId: "u2", event: event("a", 0, [("value", 120), ("sku", "X-1")]), messageId: "m1"),
                UserEvent(userId: "u2", event: event("c", 10)),
                UserEvent(userId: "u2", event: event("d", 20)),
                UserEvent(userId: "other", event: event("x", 5)),
            ]
            #expect(try await store.append(batch) == 5)
            // A retried batch: the message id repeats, so only the events without one land again.
            #expect(try await store.append([UserEvent(userId: "u2", event: event("a", 0), messageId: "m1")]) == 0)
            #expect(try await store.append([
                UserEvent(userId: "u2", event: event("e", 30), messageId: "m2"),
                UserEvent(userId: "u2", event: event("e", 30), messageId: "m2"),
            ]) == 1)

            let all = try await store.events(userId: "u2", limit: 100)
            #expect(all.map(\.name) == ["a", "b", "c", "d", "e"], "oldest first; equal times keep arrival order")
            #expect(all[0].properties["value"].map(JSON.serialize) == "120")
            #expect(all[0].properties["sku"]?.stringValue == "X-1")
            #expect(try await store.events(userId: "u2", limit: 3).map(\.name) == ["c", "d", "e"])

            let profile = try #require(try await store.profile(id: "u2", eventLimit: 2), "events alone make a user known")
            #expect(profile.events.map(\.name) == ["d", "e"])
            #expect(profile.traits.isEmpty)
            #expect(try await store.append([]) == 0)
        }
    }

    @Test("ledger: interactions in time order, with their details", arguments: StoreKind.available)
    func ledger(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let answer = Interaction(userId: "u3", campaign: "nps", channel: .survey, kind: .answer, time: t0.addingTimeInterval(5),
                                     placement: "footer", data: .object(LiquidObject([("score", 9)])))
            let seen = Interaction(userId: "u3", campaign: "hero", channel: .banner, kind: .impression, time: t0, variant: "b",
                                   placement: "home-hero")
            try await store.record(answer)
            try await store.record(seen)
            try await store.record(Interaction(userId: "u4", campaign: "hero", channel: .banner, kind: .dismiss, time: t0))
            let history = try await store.history(userId: "u3")
            #expect(history.interactions == [seen, answer])
            let snapshot = try await store.snapshot(userId: "u3", eventLimit: 10)
            #expect(snapshot.profile == nil)
            #expect(snapshot.history.interactions == [seen, answer])
        }
    }

    @Test("an interaction and the events it causes are kept in one write", arguments: StoreKind.available)
    func interactionWithEvents(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let answer = Interaction(userId: "u5", campaign: "nps", channel: .survey, kind: .answer, time: t0, placement: "footer",
                                     data: .object(LiquidObject([("answer", 9)])))
            try await store.record(answer, events: [UserEvent(userId: "u5", event: event("survey_answered", 0, [("answer", 9)]))])
            try await store.record(Interaction(userId: "u5", campaign: "hero", channel: .banner, kind: .click, time: t0), events: [])
            let snapshot = try await store.snapshot(userId: "u5", eventLimit: 10)
            #expect(snapshot.history.interactions.map(\.campaign) == ["nps", "hero"])
            #expect(snapshot.profile?.events.map(\.name) == ["survey_answered"])
            #expect(snapshot.profile?.events.first?.properties["answer"].map(JSON.serialize) == "9")
        }
    }

    @Test("delete removes the profile, its events and its ledger, and no one else's", arguments: StoreKind.available)
    func delete(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.saveProfile(id: "u5", traits: .replace(LiquidObject([("a", 1)])), timeZone: nil, at: t0)
            _ = try await store.append([UserEvent(userId: "u5", event: event("x", 1), messageId: "m"),
                                        UserEvent(userId: "u6", event: event("y", 1))])
            try await store.record(Interaction(userId: "u5", campaign: "c", channel: .banner, kind: .impression, time: t0))
            #expect(try await store.deleteProfile(id: "u5"))
            #expect(try await store.profile(id: "u5", eventLimit: 10) == nil)
            #expect(try await store.history(userId: "u5").interactions.isEmpty)
            #expect(try await store.deleteProfile(id: "u5") == false)
            #expect(try await store.events(userId: "u6", limit: 10).count == 1)
            // The message id is free again once the user is forgotten.
            #expect(try await store.append([UserEvent(userId: "u5", event: event("x", 1), messageId: "m")]) == 1)
        }
    }

    @Test("concurrent writers all land", arguments: StoreKind.available)
    func concurrentWrites(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        _ = try await store.append([UserEvent(userId: "busy", event: event("e\(i)", Double(i)))])
                        try await store.record(Interaction(userId: "busy", campaign: "c\(i)", channel: .banner, kind: .impression,
                                                           time: t0.addingTimeInterval(Double(i))))
                        _ = try await store.saveProfile(id: "busy", traits: .merge(LiquidObject([("k\(i)", .int(i))])),
                                                        timeZone: nil, at: t0)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.events(userId: "busy", limit: 1000).count == 40)
            #expect(try await store.history(userId: "busy").interactions.count == 40)
            #expect(try await store.profileRecord(id: "busy")?.traits.count == 40, "no merge lost another's key")
        }
    }

    @Test("a history is read as deciding needs it: the newest of each campaign and kind, however long it grew",
          arguments: StoreKind.available)
    func boundedHistory(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let depth = InteractionHistory.depth
            let long = (0..<(depth + 3)).map { n in
                Interaction(userId: "old", campaign: "c", channel: .banner, kind: .impression, time: t0.addingTimeInterval(Double(n)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for chunk in stride(from: 0, to: long.count, by: 100) {
                    group.addTask { for i in long[chunk..<min(chunk + 100, long.count)] { try await store.record(i) } }
                }
                try await group.waitForAll()
            }
            try await store.record(Interaction(userId: "old", campaign: "c", channel: .banner, kind: .dismiss, time: t0))
            try await store.record(Interaction(userId: "old", campaign: "d", channel: .banner, kind: .impression, time: t0))
            let history = try await store.history(userId: "old").interactions
            #expect(history.count == depth + 2)
            let impressions = history.filter { $0.campaign == "c" && $0.kind == .impression }
            #expect(impressions.first?.time == t0.addingTimeInterval(3), "the three oldest impressions of c are not read")
            #expect(impressions.last?.time == t0.addingTimeInterval(Double(depth + 2)))
            #expect(history.contains { $0.kind == .dismiss } && history.contains { $0.campaign == "d" })
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.time <= $1.time }, "oldest first")
        }
    }

    @Test("identify merges a visitor into a user in one write, keeps the link, and can be undone", arguments: StoreKind.available)
    func identities(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.saveProfile(id: "u", traits: .replace(LiquidObject([("name", "Ada"), ("plan", "pro")])), timeZone: nil, at: t0)
            _ = try await store.saveProfile(id: "w", traits: .replace(LiquidObject()), timeZone: nil, at: t0)
            _ = try await store.saveProfile(id: "anon:v", traits: .replace(LiquidObject([("plan", "free"), ("utm", "ads")])),
                                            timeZone: "Europe/Paris", at: t0)
            _ = try await store.append([UserEvent(userId: "u", event: event("opened", 0), messageId: "m1"),
                                        UserEvent(userId: "anon:v", event: event("opened", 1), messageId: "m1"),
                                        UserEvent(userId: "anon:v", event: event("viewed", 2), messageId: "m2")])
            try await store.record(Interaction(userId: "anon:v", campaign: "c", channel: .banner, kind: .dismiss, time: t0))

            let merged = try await store.identify(anonymous: "anon:v", user: "u", at: t0.addingTimeInterval(10))
            #expect(merged.events == 1, "the same message (m1) is kept once")
            #expect(merged.interactions == 1 && merged.traits == 1 && !merged.alreadyLinked)
            #expect(merged.identity == Identity(anonymous: "anon:v", user: "u", linkedAt: t0.addingTimeInterval(10)))
            let user = try #require(try await store.profileRecord(id: "u"))
            #expect(JSON.serialize(.object(user.traits)) == #"{"name":"Ada","plan":"pro","utm":"ads"}"#, "the user's own traits win")
            #expect(user.timeZone == "Europe/Paris", "the user had no zone")
            #expect(try await store.profileRecord(id: "anon:v") == nil)
            #expect(try await store.events(userId: "u", limit: 10).map(\.name) == ["opened", "viewed"])
            #expect(try await store.history(userId: "u").interactions.map(\.kind) == [.dismiss])
            #expect(try await store.history(userId: "u").interactions.first?.userId == "u")
            #expect(try await store.linkedUser(anonymous: "anon:v") == "u")
            #expect(try await store.linkedUser(anonymous: "anon:x") == nil)

            // Again: harmless. Into someone else, or into no one: refused, nothing changed.
            let again = try await store.identify(anonymous: "anon:v", user: "u", at: t0.addingTimeInterval(20))
            #expect(again.alreadyLinked && again.events == 0 && again.identity.linkedAt == t0.addingTimeInterval(10))
            await #expect(throws: IdentityError.linkedElsewhere(anonymousId: "anon:v", userId: "u")) {
                try await store.identify(anonymous: "anon:v", user: "w", at: t0)
            }
            _ = try await store.append([UserEvent(userId: "anon:y", event: event("x", 0))])
            await #expect(throws: IdentityError.unknownUser("nobody")) { try await store.identify(anonymous: "anon:y", user: "nobody", at: t0) }
            #expect(try await store.events(userId: "anon:y", limit: 10).count == 1)

            // Undone: the visitor's own come back; what the user did, and a trait changed since, stay.
            _ = try await store.append([UserEvent(userId: "u", event: event("signed_in", 30))])
            let undone = try #require(try await store.unlink(anonymous: "anon:v"))
            #expect(undone.events == 1 && undone.interactions == 1 && undone.traits == 1)
            #expect(try await store.events(userId: "u", limit: 10).map(\.name) == ["opened", "signed_in"])
            #expect(try await store.events(userId: "anon:v", limit: 10).map(\.name) == ["viewed"])
            #expect(try await store.history(userId: "anon:v").interactions.map(\.userId) == ["anon:v"])
            #expect(try await store.history(userId: "u").interactions.isEmpty)
            #expect(JSON.serialize(.object(try await store.profileRecord(id: "u")!.traits)) == #"{"name":"Ada","plan":"pro"}"#)
            #expect(try await store.profileRecord(id: "anon:v")?.traits["utm"]?.stringValue == "ads")
            #expect(try await store.linkedUser(anonymous: "anon:v") == nil)
            #expect(try await store.unlink(anonymous: "anon:v") == nil)

            // Merged again, then the user is deleted: the link goes with them.
            _ = try await store.identify(anonymous: "anon:v", user: "u", at: t0)
            #expect(try await store.deleteProfile(id: "u"))
            #expect(try await store.linkedUser(anonymous: "anon:v") == nil)
            #expect(try await store.events(userId: "anon:v", limit: 10).isEmpty, "merged events were the user's, and went with them")
        }
    }

    @Test("export gives everything kept about a person: all events and interactions, where merged ones came from, the visitors",
          arguments: StoreKind.available)
    func export(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.export(userId: "u") == nil)
            _ = try await store.saveProfile(id: "u", traits: .replace(LiquidObject([("name", "Ada")])), timeZone: "Asia/Tokyo", at: t0)
            _ = try await store.append([UserEvent(userId: "anon:v", event: event("viewed", 1, [("sku", "a")]), messageId: "m9")])
            try await store.record(Interaction(userId: "anon:v", campaign: "nps", channel: .survey, kind: .answer, time: t0, data: .int(9)))
            _ = try await store.identify(anonymous: "anon:v", user: "u", at: t0.addingTimeInterval(5))
            // More than deciding reads: every one of them.
            for n in 0..<(InteractionHistory.depth + 1) {
                try await store.record(Interaction(userId: "u", campaign: "c", channel: .banner, kind: .impression, time: t0.addingTimeInterval(Double(10 + n))))
            }
            _ = try await store.append([UserEvent(userId: "u", event: event("signed_in", 6))])
            let data = try #require(try await store.export(userId: "u"))
            #expect(data.record?.traits["name"]?.stringValue == "Ada" && data.record?.timeZone == "Asia/Tokyo")
            #expect(data.events.map(\.item.name) == ["viewed", "signed_in"])
            #expect(data.events.map(\.origin) == ["anon:v", nil] && data.events.first?.messageId == "m9")
            #expect(data.events.first?.item.properties["sku"]?.stringValue == "a")
            #expect(data.interactions.count == InteractionHistory.depth + 2)
            #expect(data.interactions.first?.origin == "anon:v" && data.interactions.first?.item.data.map(JSON.serialize) == "9")
            #expect(data.identities == [Identity(anonymous: "anon:v", user: "u", linkedAt: t0.addingTimeInterval(5))])
            #expect(try await store.deleteProfile(id: "u"))
            #expect(try await store.export(userId: "u") == nil)
        }
    }

    /// An admission that records one impression of campaign `c` while fewer than `cap` are kept, answering whether it did.
    private static func capped(_ user: String, cap: Int, at seconds: Double) -> @Sendable (InteractionHistory) -> Admission {
        { history in
            let shown = history.interactions.filter { $0.campaign == "c" && $0.kind == .impression }.count
            guard shown < cap else { return Admission(interactions: [], answer: #"{"sent":false}"#) }
            let i = Interaction(userId: user, campaign: "c", channel: .banner, kind: .impression, time: t0.addingTimeInterval(seconds))
            return Admission(interactions: [i], answer: #"{"sent":true,"n":\#(shown + 1)}"#)
        }
    }

    @Test("admissions for one user take turns: 50 at once under a cap of 3 record exactly 3", arguments: StoreKind.available)
    func admissionsHoldACap(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let answers = try await withThrowingTaskGroup(of: AdmissionResult.self) { group in
                for i in 0..<50 {
                    group.addTask { try await store.admit(userId: "capped", idempotency: nil, at: t0, Self.capped("capped", cap: 3, at: Double(i))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let sent = answers.filter { if case .decided(let a) = $0 { a.contains(#""sent":true"#) } else { false } }
            #expect(sent.count == 3)
            #expect(try await store.history(userId: "capped").interactions.count == 3)
            // Another user's cap is their own.
            _ = try await store.admit(userId: "other", idempotency: nil, at: t0, Self.capped("other", cap: 3, at: 0))
            #expect(try await store.history(userId: "other").interactions.count == 1)
        }
    }

    @Test("an idempotency key replays its first answer, counts nothing again, expires after a day, goes with the user",
          arguments: StoreKind.available)
    func idempotencyKeys(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = IdempotencyKey(key: "k-1", fingerprint: "f1")
            let first = try await store.admit(userId: "u", idempotency: key, at: t0, Self.capped("u", cap: 5, at: 0))
            #expect(first == .decided(#"{"sent":true,"n":1}"#))
            // Retried at once, and concurrently: the first answer, nothing recorded again.
            let retries = try await withThrowingTaskGroup(of: AdmissionResult.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await store.admit(userId: "u", idempotency: key, at: t0.addingTimeInterval(60), Self.capped("u", cap: 5, at: 1)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(retries.allSatisfy { $0 == .replayed(KeptAnswer(fingerprint: "f1", answer: #"{"sent":true,"n":1}"#)) })
            #expect(try await store.history(userId: "u").interactions.count == 1)
            #expect(try await store.keptAnswer(key: "k-1", at: t0)?.answer == #"{"sent":true,"n":1}"#)
            #expect(try await store.keptAnswer(key: "k-2", at: t0) == nil)

            // Concurrent first requests under one key for two users: one decides, the other gets its answer back.
            let shared = IdempotencyKey(key: "k-shared", fingerprint: "f2")
            let pair = try await withThrowingTaskGroup(of: AdmissionResult.self) { group in
                for user in ["a", "b"] {
                    group.addTask { try await store.admit(userId: user, idempotency: shared, at: t0, Self.capped(user, cap: 5, at: 0)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(pair.filter { if case .decided = $0 { true } else { false } }.count == 1)
            #expect(try await store.history(userId: "a").interactions.count + store.history(userId: "b").interactions.count == 1)

            // A day later the key is free: the request is decided again.
            let later = t0.addingTimeInterval(idempotencyLifetime + 1)
            #expect(try await store.keptAnswer(key: "k-1", at: later) == nil)
            #expect(try await store.admit(userId: "u", idempotency: key, at: later, Self.capped("u", cap: 5, at: 2)) == .decided(#"{"sent":true,"n":2}"#))

            // Forgetting the user forgets the answers kept for them (they hold what was rendered for them).
            #expect(try await store.deleteProfile(id: "u"))
            #expect(try await store.keptAnswer(key: "k-1", at: later) == nil)
        }
    }
}

/// Retention, in the contract's suite: one PostgreSQL database is used by one test at a time.
extension StoreContractTests {
    private static let day = 86_400.0

    private static func at(days: Double) -> Date { t0.addingTimeInterval(days * day) }

    @Test("retention: a pass in small steps trims old events and events past the limit, removes unseen visitors, keeps the rest",
          arguments: StoreKind.available)
    func prune(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            // u: 15 events, 3 of them older than the age kept, and 12 recent ones of which the limit keeps 10.
            _ = try await store.saveProfile(id: "u", traits: .replace(LiquidObject([("n", 1)])), timeZone: nil, at: Self.at(days: -900))
            _ = try await store.append((0..<3).map { UserEvent(userId: "u", event: event("old\($0)", -500 * Self.day + Double($0)), messageId: "m\($0)") })
            _ = try await store.append((0..<12).map { UserEvent(userId: "u", event: event("new\($0)", -Self.day + Double($0))) })
            try await store.record(Interaction(userId: "u", campaign: "hero", channel: .banner, kind: .dismiss, time: Self.at(days: -600)))
            // A visitor unseen for 100 days (profile, an event, an interaction), one seen 10 days ago, and one with only
            // an old interaction.
            _ = try await store.saveProfile(id: "anon:old", traits: .replace(LiquidObject([("k", "v")])), timeZone: nil, at: Self.at(days: -100))
            _ = try await store.append([UserEvent(userId: "anon:old", event: event("page", -100 * Self.day))])
            try await store.record(Interaction(userId: "anon:old", campaign: "hero", channel: .banner, kind: .impression, time: Self.at(days: -95)))
            _ = try await store.append([UserEvent(userId: "anon:recent", event: event("page", -10 * Self.day)),
                                        UserEvent(userId: "anon:recent", event: event("page", -450 * Self.day))])
            try await store.record(Interaction(userId: "anon:ledger", campaign: "hero", channel: .banner, kind: .dismiss, time: Self.at(days: -120)))
            // A visitor merged into a user: its rows are the user's now, and the link stays.
            _ = try await store.saveProfile(id: "w", traits: .replace(LiquidObject()), timeZone: nil, at: Self.at(days: -300))
            _ = try await store.append([UserEvent(userId: "anon:merged", event: event("page", -300 * Self.day))])
            _ = try await store.identify(anonymous: "anon:merged", user: "w", at: Self.at(days: -299))
            // A cached read before the pass must not outlive it.
            #expect(try await store.snapshot(userId: "u", eventLimit: 10).profile?.events.count == 10)

            let retention = Retention(eventsBefore: Self.at(days: -400), eventsPerUser: 10, visitorsBefore: Self.at(days: -90))
            var cursor = ""
            var total = PruneStep(next: nil)
            var changed: [String] = []
            var steps = 0
            while true {
                let step = try await store.prune(after: cursor, subjects: 2, retention)
                #expect(step.subjects <= 2)
                total.subjects += step.subjects
                total.events += step.events
                total.visitors += step.visitors
                changed += step.changed
                steps += 1
                guard let next = step.next else { break }
                cursor = next
            }
            // Every id once: u, w, and the four visitors' ids (the merged one has no rows of its own).
            #expect(total.subjects == 5)
            #expect(steps == 3)
            #expect(total.events == 3 + 2 + 1)  // u's old ones, u's two past the limit, anon:recent's old one
            #expect(total.visitors == 2)
            #expect(Set(changed) == ["u", "anon:old", "anon:ledger", "anon:recent"])

            let u = try #require(try await store.profile(id: "u", eventLimit: 100))
            #expect(u.events.map(\.name) == (2..<12).map { "new\($0)" })
            #expect(try await store.snapshot(userId: "u", eventLimit: 10).profile?.events.count == 10)
            #expect(try await store.history(userId: "u").interactions.count == 1)  // the ledger is kept
            #expect(try await store.export(userId: "anon:old") == nil)
            #expect(try await store.export(userId: "anon:ledger") == nil)
            #expect(try await store.events(userId: "anon:recent", limit: 10).count == 1)
            #expect(try await store.linkedUser(anonymous: "anon:merged") == "w")
            #expect(try await store.events(userId: "w", limit: 10).count == 1)
            // A message id goes with its event: the same message is new again.
            #expect(try await store.append([UserEvent(userId: "u", event: event("again", 0), messageId: "m0")]) == 1)

            // A second pass finds nothing more.
            var again = PruneStep(next: nil)
            cursor = ""
            repeat {
                let step = try await store.prune(after: cursor, subjects: 100, retention)
                again.events += step.events
                again.visitors += step.visitors
                cursor = step.next ?? ""
            } while !cursor.isEmpty
            #expect(again.events == 1 && again.visitors == 0)  // only the event just appended, past u's limit
        }
    }

    @Test("retention: interactions past the newest of each campaign and kind go; a history read finds what it found",
          arguments: StoreKind.available)
    func pruneInteractions(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            func keep(_ user: String, _ campaign: String, _ kind: Interaction.Kind, days: Double, _ placement: String) async throws {
                try await store.record(Interaction(userId: user, campaign: campaign, channel: .banner, kind: kind,
                                                   time: Self.at(days: days), placement: placement))
            }
            // u: six impressions of hero, two of them at the same time (the one kept last is the newer), four clicks,
            // one dismissal, and two impressions of another campaign; a visitor seen lately: five impressions.
            for (days, placement) in [(-10.0, "i10"), (-9, "i9"), (-8, "i8"), (-7, "i7a"), (-7, "i7b"), (-6, "i6")] {
                try await keep("u", "hero", .impression, days: days, placement)
            }
            for d in 0..<4 { try await keep("u", "hero", .click, days: -20 + Double(d), "c\(d)") }
            try await keep("u", "hero", .dismiss, days: -30, "d")
            for d in 0..<2 { try await keep("u", "tour", .impression, days: -40 + Double(d), "t\(d)") }
            for d in 0..<5 { try await keep("anon:v", "hero", .impression, days: -5 + Double(d) / 10, "v\(d)") }
            // w: three impressions of hero of their own, and three of a visitor merged into them, newer and older.
            for d in 0..<3 {
                try await keep("w", "hero", .impression, days: -4 + Double(d), "w\(d)")
                try await keep("anon:m", "hero", .impression, days: -4.5 + Double(d), "m\(d)")
            }
            _ = try await store.saveProfile(id: "w", traits: .replace(LiquidObject()), timeZone: nil, at: Self.at(days: -10))
            _ = try await store.identify(anonymous: "anon:m", user: "w", at: Self.at(days: -1))
            _ = try await store.append([UserEvent(userId: "u", event: event("signup", 0))])
            let before = try await store.history(userId: "u")
            #expect(before.interactions.count == 13)

            let retention = Retention(visitorsBefore: Self.at(days: -90), interactionsPerKind: 2)
            var total = PruneStep(next: nil)
            var changed: [String] = []
            var cursor = ""
            repeat {
                let step = try await store.prune(after: cursor, subjects: 1, retention)
                total.events += step.events
                total.interactions += step.interactions
                total.visitors += step.visitors
                changed += step.changed
                cursor = step.next ?? ""
            } while !cursor.isEmpty
            #expect(total.interactions == 4 + 2 + 3 + 1 + 1)
            #expect(total.events == 0 && total.visitors == 0)
            #expect(Set(changed) == ["u", "anon:v", "w"])

            // What a history read keeps at that depth, in the same order; of the two at one time, the later one.
            func seen(_ h: InteractionHistory) -> [String] { h.interactions.map { "\($0.campaign) \($0.kind.rawValue) \($0.placement ?? "")" } }
            let after = try await store.history(userId: "u")
            #expect(seen(after) == seen(before.newest(2)))
            #expect(seen(after) == ["tour impression t0", "tour impression t1", "hero dismiss d", "hero click c2", "hero click c3",
                                    "hero impression i7b", "hero impression i6"])
            #expect(try await store.history(userId: "anon:v").interactions.map(\.placement) == ["v3", "v4"])
            // The user's own and the visitor's are kept apart: undoing the merge gives each back its newest two.
            #expect(try await store.history(userId: "w").interactions.map(\.placement) == ["m1", "w1", "m2", "w2"])
            #expect(try await store.unlink(anonymous: "anon:m") != nil)
            #expect(try await store.history(userId: "w").interactions.map(\.placement) == ["w1", "w2"])
            #expect(try await store.history(userId: "anon:m").interactions.map(\.placement) == ["m1", "m2"])
            #expect(try await store.export(userId: "u")?.interactions.count == 7)
            #expect(try await store.events(userId: "u", limit: 10).count == 1)

            // A second pass finds nothing more; at the depth deciding reads, nothing goes.
            #expect(try await store.prune(after: "", subjects: 10, retention).interactions == 0)
            let deep = try await store.prune(after: "", subjects: 10, Retention(interactionsPerKind: InteractionHistory.depth))
            #expect(deep.interactions == 0 && deep.changed.isEmpty)
        }
    }
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("what was written is there after the database is opened again")
    func reopen() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-reopen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/db.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            _ = try await store.saveProfile(id: "p", traits: .replace(LiquidObject([("n", "Zoë")])), timeZone: "Asia/Tokyo", at: t0)
            _ = try await store.append([UserEvent(userId: "p", event: event("signup", 0))])
        }
        let again = try SQLiteStore(path: path)
        let profile = try #require(try await again.profile(id: "p", eventLimit: 10))
        #expect(profile.traits["n"]?.stringValue == "Zoë")
        #expect(profile.timeZone.identifier == "Asia/Tokyo")
        #expect(profile.events.map(\.name) == ["signup"])
    }
    /// Background writes (attribution passes, what serving observed, stage sweeps, retention) answer no caller and
    /// commit without a sync of their own; every write a caller is answered about must still be synced before it
    /// returns, whatever ran, or failed, before it.
    @Test("background writes skip their own sync and leave every other write synced, even when they fail")
    func backgroundWritesLeaveWritesSynced() async throws {
        struct Refused: Error {}
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path)
        #expect(try await store.writerSynchronous() == 2)
        #expect(try await store.backgroundWrite { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1)
        #expect(try await store.writerSynchronous() == 2)
        _ = try await store.append([UserEvent(userId: "u", event: event("signup", 0))])
        #expect(try await store.attributeQueued(.none, limit: 10) == 0)
        try await store.expose([Exposure(campaign: "c", userId: "u", arm: .holdout, time: t0)])
        #expect(try await store.recordStages([StageSighting(userId: "u", stage: "activation", time: t0)]) == [""])
        _ = try await store.prune(after: "", subjects: 10, Retention(eventsPerUser: 10))
        #expect(try await store.writerSynchronous() == 2)
        await #expect(throws: Refused.self) {
            try await store.backgroundWrite { db -> Int in
                try db.execute(sql: "INSERT INTO passes (name, started_at) VALUES ('x', 0)")
                throw Refused()
            }
        }
        #expect(try await store.writerSynchronous() == 2)
        // The failed one was rolled back; the others were kept.
        #expect(try await store.backgroundWrite { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM passes") } == 0)
        #expect(try await store.rollups(campaign: "c").map(\.users) == [1])
        #expect(try await store.recordedStage(userId: "u") == "activation")
    }

    /// The hot path reads on the calling thread. Reads of every kind at once, many more than there are threads
    /// and readers, must all finish: no read may hold a reader while it waits for a thread that a blocked read
    /// holds (that stalled a server for 30 s under a mixed load with the cache off).
    @Test("reads of every kind at once never wait on each other for good")
    func readsDoNotStarve() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-reads-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path)
        for u in 0..<20 {
            _ = try await store.saveProfile(id: "u\(u)", traits: .replace(LiquidObject([("n", .int(u))])), timeZone: nil, at: t0)
            _ = try await store.append((0..<20).map { UserEvent(userId: "u\(u)", event: event("e\($0)", Double($0))) })
        }
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<4000 {
                group.addTask {
                    let id = "u\(i % 20)"
                    switch i % 6 {
                    case 0, 1: return try await store.snapshot(userId: id, eventLimit: 50).profile?.events.count ?? 0
                    case 2: return try await store.profile(id: id, eventLimit: 50)?.events.count ?? 0
                    case 3: return try await store.events(userId: id, limit: 50).count
                    case 4: return try await store.history(userId: id).interactions.count + 20
                    default: return try await store.profileRecord(id: id) == nil ? 0 : 20
                    }
                }
            }
            var finished = 0
            for try await n in group where n == 20 { finished += 1 }
            return finished
        }
        #expect(finished == 4000)
    }
}


@Suite("Cached store")
struct CachedStoreTests {
    @Test("reads are served from memory until a write for that user; the row bound holds")
    func boundAndInvalidation() async throws {
        let base = MemoryStore()
        let cached = CachedStore(base, capacity: 100, eventLimit: 50)
        for u in 0..<60 {
            _ = try await cached.append((0..<5).map { UserEvent(userId: "u\(u)", event: event("e\($0)", Double($0))) })
            _ = try await cached.snapshot(userId: "u\(u)", eventLimit: 50)
            #expect(cached.usage.rows <= 100)
        }
        #expect(cached.usage.users >= 10)
        // A write that bypasses the cache is not seen (the reason only one process may write behind it)...
        _ = try await cached.snapshot(userId: "u59", eventLimit: 50)
        _ = try await base.append([UserEvent(userId: "u59", event: event("sneaky", 100))])
        #expect(try await cached.snapshot(userId: "u59", eventLimit: 50).profile?.events.count == 5)
        // ...and one through it is, at once.
        _ = try await cached.append([UserEvent(userId: "u59", event: event("seen", 101))])
        #expect(try await cached.snapshot(userId: "u59", eventLimit: 50).profile?.events.map(\.name).suffix(2) == ["sneaky", "seen"])
    }
}

@Suite("Cached store, by bytes")
struct CachedStoreBytesTests {
    @Test("the byte bound holds as users with large traits come and go; one user over a quarter of it is not kept")
    func byteBound() async throws {
        let base = MemoryStore()
        let cached = CachedStore(base, capacity: 1_000_000, maxBytes: 200_000, eventLimit: 50)
        let bio = String(repeating: "a long biography ", count: 100)  // 1.7 KB a user
        for u in 0..<400 {
            _ = try await cached.saveProfile(id: "u\(u)", traits: .replace(LiquidObject([("bio", .string(bio))])), timeZone: nil, at: t0)
            _ = try await cached.snapshot(userId: "u\(u)", eventLimit: 50)
            #expect(cached.usage.bytes <= 200_000)
        }
        #expect(cached.usage.users > 50 && cached.usage.users < 120, "about 200 KB / 1.9 KB users, not all 400: \(cached.usage.users)")
        let huge = String(repeating: "x", count: 60_000)
        _ = try await cached.saveProfile(id: "huge", traits: .replace(LiquidObject([("blob", .string(huge))])), timeZone: nil, at: t0)
        let before = cached.usage.users
        _ = try await cached.snapshot(userId: "huge", eventLimit: 50)
        #expect(cached.usage.users == before, "60 KB is over a quarter of 200 KB: read, not kept")
        #expect(try await cached.snapshot(userId: "huge", eventLimit: 50).profile?.traits["blob"]?.stringValue == huge)
    }
}

/// The channel names these tests record interactions under (the store keeps any channel's name; the delivery layer
/// registers which exist).
extension Channel {
    static let banner = Channel(rawValue: "banner")!
    static let survey = Channel(rawValue: "survey")!
}

extension StoreContractTests {
    @Test("users page by page in id order: those with a profile or events, each with their latest events and recorded stage",
          arguments: StoreKind.available)
    func userPages(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.users(after: "", limit: 10, eventLimit: 10).users.isEmpty)
            _ = try await store.saveProfile(id: "a", traits: .replace(LiquidObject([("plan", "trial")])), timeZone: "Asia/Tokyo", at: t0)
            _ = try await store.append((0..<5).map { UserEvent(userId: "b", event: event("e\($0)", Double($0))) })
            // Only a ledger: not a user deciding would read.
            try await store.record(Interaction(userId: "c", campaign: "hero", channel: .banner, kind: .impression, time: t0))
            _ = try await store.saveProfile(id: "d", traits: .replace(LiquidObject()), timeZone: nil, at: t0)
            _ = try await store.append([UserEvent(userId: "d", event: event("login", 9))])
            _ = try await store.recordStage(userId: "b", stage: "retention", at: t0)

            let first = try await store.users(after: "", limit: 2, eventLimit: 3)
            #expect(first.users.map(\.profile.id) == ["a", "b"])
            #expect(first.next == "b")
            #expect(first.users[0].profile.traits["plan"]?.stringValue == "trial" && first.users[0].profile.timeZone.identifier == "Asia/Tokyo")
            #expect(first.users[0].stage == nil && first.users[0].profile.events.isEmpty)
            #expect(first.users[1].stage == "retention")
            #expect(first.users[1].profile.events.map(\.name) == ["e2", "e3", "e4"])
            let second = try await store.users(after: "b", limit: 2, eventLimit: 3)
            #expect(second.users.map(\.profile.id) == ["d"])
            #expect(second.users[0].profile.events.map(\.name) == ["login"])
            #expect(second.next == nil)
            // A page as large as what is left ends on its last id; the page after it is empty and the last.
            let exact = try await store.users(after: "a", limit: 2, eventLimit: 3)
            #expect(exact.users.map(\.profile.id) == ["b", "d"] && exact.next == "d")
            let after = try await store.users(after: "d", limit: 2, eventLimit: 3)
            #expect(after.users.isEmpty && after.next == nil)

            // Long histories: a page ends once it holds the event budget, after the user who reached it.
            let long = UserPage.eventBudget * 7 / 20
            for user in ["h1", "h2", "h3", "h4"] {
                _ = try await store.append((0..<long).map { UserEvent(userId: user, event: event("view", Double($0))) })
            }
            let heavy = try await store.users(after: "e", limit: 10, eventLimit: 10_000)
            #expect(heavy.users.map(\.profile.id) == ["h1", "h2", "h3"] && heavy.next == "h3")
            #expect(heavy.users.allSatisfy { $0.profile.events.count == long })
            let rest = try await store.users(after: "h3", limit: 10, eventLimit: 10_000)
            #expect(rest.users.map(\.profile.id) == ["h4"] && rest.next == nil)
        }
    }
}

extension StoreContractTests {
    @Test("a background pass is claimed once per interval, whoever asks; the last start is told to those who do not get it",
          arguments: StoreKind.available)
    func passClaims(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let first = try await store.claimPass("stage_sweep", every: 3600, at: t0)
            #expect(first.claimed && first.lastStart == t0)
            let soon = try await store.claimPass("stage_sweep", every: 3600, at: t0.addingTimeInterval(60))
            #expect(!soon.claimed && soon.lastStart == t0)
            // Another pass has a clock of its own.
            #expect(try await store.claimPass("other", every: 3600, at: t0.addingTimeInterval(60)).claimed)
            // Asked at once by several instances when it is due: one gets it.
            let due = t0.addingTimeInterval(3600)
            let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.claimPass("stage_sweep", every: 3600, at: due).claimed } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(claims == 1)
            #expect(try await store.claimPass("stage_sweep", every: 3600, at: due.addingTimeInterval(1)).lastStart == due)
            // A claim given back (its pass failed) can be taken again at once; giving back another's claim does nothing.
            try await store.releasePass("stage_sweep", claimedAt: t0)
            #expect(!(try await store.claimPass("stage_sweep", every: 3600, at: due.addingTimeInterval(2)).claimed))
            try await store.releasePass("stage_sweep", claimedAt: due)
            #expect(try await store.claimPass("stage_sweep", every: 3600, at: due.addingTimeInterval(3)).claimed)
        }
    }
}
