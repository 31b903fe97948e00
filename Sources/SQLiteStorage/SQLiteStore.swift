import Foundation
import GRDB
import GRDBSQLite
import Liquid
import Personalization
import Storage
import Synchronization

/// The embedded default: one SQLite file (WAL) through GRDB. Readers never wait for the writer; every write a caller
/// is answered about is synced to disk before it returns (`synchronous = FULL`), so it survives a killed process or a
/// lost machine alike. Background writes, which answer no one, are synced with the next one (``backgroundWrite(_:)``).
public final class SQLiteStore: Store, StoreReporting {
    private let pool: DatabasePool
    private let reads = Atomic<Int>(0)
    /// The goal values attribution passes wrote since the last fold (see ``GoalValueLog``).
    private let goalValues: GoalValueLog
    public let path: String

    /// How many goal values the log holds before a pass folds them into their table, unless the store is made with
    /// another count.
    public static let defaultGoalValueLog = 20_000

    /// Opens (creating when missing) the database at `path` and brings its schema up to date. Attribution passes fold
    /// the goal values they wrote into their table once `goalValueLog` of them are held (see ``GoalValueLog``).
    public init(path: String, goalValueLog: Int = defaultGoalValueLog) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // A reader for every thread that may read at once (the cooperative pool's, one per core), so that reads
        // rarely wait for one.
        configuration.maximumReaderCount = max(configuration.maximumReaderCount, ProcessInfo.processInfo.activeProcessorCount + 2)
        configuration.prepareDatabase { db in
            // The writer touches pages all over the tables (a user's events, exposure, goal values, rollups): with
            // SQLite's default 2 MB it read most of them back from the file on every write. Readers keep the default.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -32768") }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // Set on the writer once the pool is made: GRDB sets NORMAL when it turns WAL on, after `prepareDatabase`
        // (a FULL set there never held).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(pool)
        goalValues = GoalValueLog(foldAt: goalValueLog)
    }

    /// The schema, one migration per change, applied in order at start.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1 profiles, events, interactions") { db in
            try db.execute(sql: """
                CREATE TABLE profiles (
                    id TEXT PRIMARY KEY NOT NULL,
                    traits TEXT NOT NULL,
                    time_zone TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    time REAL NOT NULL,
                    properties TEXT,
                    message_id TEXT
                );
                CREATE INDEX events_by_user ON events (user_id, time, seq);
                CREATE UNIQUE INDEX events_by_message ON events (user_id, message_id) WHERE message_id IS NOT NULL;
                CREATE TABLE interactions (
                    seq INTEGER PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    campaign TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    time REAL NOT NULL,
                    variant TEXT,
                    placement TEXT,
                    data TEXT
                );
                CREATE INDEX interactions_by_user ON interactions (user_id, time, seq);
                """)
        }
        migrator.registerMigration("2 profile locale") { db in
            try db.execute(sql: "ALTER TABLE profiles ADD COLUMN locale TEXT")
        }
        migrator.registerMigration("3 idempotency keys") { db in
            try db.execute(sql: """
                CREATE TABLE idempotency (
                    key TEXT PRIMARY KEY NOT NULL,
                    user_id TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    answer TEXT NOT NULL,
                    created_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX idempotency_by_time ON idempotency (created_at);
                CREATE INDEX idempotency_by_user ON idempotency (user_id);
                """)
        }
        migrator.registerMigration("4 identities") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN origin TEXT;
                ALTER TABLE interactions ADD COLUMN origin TEXT;
                CREATE TABLE identities (
                    anonymous_id TEXT PRIMARY KEY NOT NULL,
                    user_id TEXT NOT NULL,
                    linked_at REAL NOT NULL,
                    merge TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX identities_by_user ON identities (user_id);
                """)
        }
        migrator.registerMigration("5 exposures and results") { db in
            // Impressions kept before are exposures already: each user's first of each campaign.
            try db.execute(sql: """
                CREATE TABLE exposures (
                    campaign TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    held_out INTEGER NOT NULL,
                    time REAL NOT NULL,
                    PRIMARY KEY (campaign, user_id)
                ) WITHOUT ROWID;
                CREATE INDEX exposures_by_user ON exposures (user_id);
                CREATE TABLE goal_values (
                    campaign TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    goal TEXT NOT NULL,
                    value REAL NOT NULL,
                    events INTEGER NOT NULL,
                    PRIMARY KEY (campaign, user_id, goal)
                ) WITHOUT ROWID;
                CREATE TABLE rollups (
                    campaign TEXT NOT NULL,
                    goal TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    held_out INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    users INTEGER NOT NULL,
                    sum REAL NOT NULL,
                    sum_squares REAL NOT NULL,
                    PRIMARY KEY (campaign, goal, variant, held_out, day)
                ) WITHOUT ROWID;
                INSERT INTO exposures (campaign, user_id, variant, held_out, time)
                    SELECT campaign, user_id, coalesce(variant, ''), 0, time FROM (
                        SELECT campaign, user_id, variant, time,
                            row_number() OVER (PARTITION BY campaign, user_id ORDER BY time, seq) AS n
                        FROM interactions WHERE kind = 'impression')
                    WHERE n = 1;
                INSERT INTO rollups (campaign, goal, variant, held_out, day, users, sum, sum_squares)
                    SELECT campaign, '', variant, held_out, CAST(floor(time / 86400.0) AS INTEGER) AS day, count(*), 0, 0
                    FROM exposures GROUP BY campaign, variant, held_out, day;
                """)
        }
        migrator.registerMigration("6 stage moves") { db in
            try db.execute(sql: """
                CREATE TABLE user_stages (
                    user_id TEXT PRIMARY KEY NOT NULL,
                    stage TEXT NOT NULL,
                    since REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE stage_moves (
                    day INTEGER NOT NULL,
                    from_stage TEXT NOT NULL,
                    to_stage TEXT NOT NULL,
                    users INTEGER NOT NULL,
                    PRIMARY KEY (day, from_stage, to_stage)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("7 attribution queue, exposure origins") { db in
            // Events a goal counts, by seq, until a pass attributes them (events kept before were attributed as
            // they were written).
            try db.execute(sql: "CREATE TABLE attribution_queue (seq INTEGER PRIMARY KEY)")
            // The visitor an exposure came from when a merge moved it to a user (an undo moves it back).
            try db.execute(sql: "ALTER TABLE exposures ADD COLUMN origin TEXT")
        }
        migrator.registerMigration("8 background passes") { db in
            // When each background pass (the stage sweep) last started, whichever process ran it.
            try db.execute(sql: "CREATE TABLE passes (name TEXT PRIMARY KEY, started_at REAL NOT NULL) WITHOUT ROWID")
        }
        migrator.registerMigration("9 removals") { db in
            // People removed in the last hour, and when (see Removal).
            try db.execute(sql: """
                CREATE TABLE removals (user_id TEXT PRIMARY KEY, removed_at REAL NOT NULL) WITHOUT ROWID;
                CREATE INDEX removals_by_time ON removals (removed_at);
                """)
        }
        migrator.registerMigration("10 goal value log") { db in
            // The goal values passes wrote since they were last folded into goal_values (see GoalValueLog).
            try db.execute(sql: """
                CREATE TABLE goal_value_log (
                    seq INTEGER PRIMARY KEY,
                    campaign TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    goal TEXT NOT NULL,
                    value REAL NOT NULL,
                    events INTEGER NOT NULL
                )
                """)
        }
        return migrator
    }

    public func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date) async throws
        -> (record: ProfileRecord, created: Bool)
    {
        try await pool.write { db in
            let old = try Self.record(id: id, db)
            let record = (old ?? ProfileRecord(id: id, createdAt: time, updatedAt: time)).saving(traits, timeZone: timeZone, locale: locale, at: time)
            try Self.write(record, db)
            return (record, old == nil)
        }
    }

    public func profileRecord(id: String) async throws -> ProfileRecord? {
        try readHere { db in try Self.record(id: id, db) }
    }

    public func profile(id: String, eventLimit: Int) async throws -> Profile? {
        try readHere { db in try Self.profile(id: id, eventLimit: eventLimit, db) }
    }

    /// The read on the hot path (every block and decision): the profile and the history in one read.
    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        try readHere { db in
            (try Self.profile(id: userId, eventLimit: eventLimit, db), try Self.history(userId: userId, db))
        }
    }

    /// Every read runs on the calling thread, through GRDB's blocking read (outside an async context, so
    /// overloading picks it). A read of one user's rows takes tens of microseconds, less than handing it to GRDB's
    /// queue and back would cost. And no read may be asynchronous beside them: GRDB's asynchronous read holds its
    /// reader until the awaiting task resumes, so with every thread of the cooperative pool blocked here waiting
    /// for a reader, and every reader held by a read waiting for one of those threads, the server stalled (30 s
    /// under a mixed load with the cache off). Blocking reads hold a reader only while they run.
    private func readHere<T>(_ body: (Database) throws -> T) throws -> T {
        reads.add(1, ordering: .relaxed)
        return try pool.read(body)
    }

    /// A transaction no caller is answered about (an attribution pass, what serving observed, a stage sweep's page,
    /// a retention step), committed without waiting for the disk (`synchronous = NORMAL`): the next acknowledged
    /// write's sync writes it down too. A process killed meanwhile loses nothing (the file has it); a machine losing
    /// power may lose the last of these as a whole, and what they did is done again (the queue they took from is
    /// rolled back with them). Every other write stays synced before it returns.
    package func backgroundWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await write(background: true, body, committed: { _ in })
    }

    /// One transaction on the writer (see ``backgroundWrite(_:)`` for `background`); `committed` runs there once the
    /// commit has returned, before the writer's next transaction, and not when the transaction fails.
    private func write<T: Sendable>(background: Bool, _ body: @escaping @Sendable (Database) throws -> T,
                                    committed: @escaping @Sendable (T) -> Void) async throws -> T
    {
        try await pool.writeWithoutTransaction { db in
            if background { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            defer {
                // Cannot fail short of the connection being unusable (and then nothing more is written through it).
                if background { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            // IMMEDIATE: the write lock from the start, so another process cannot commit between this one's reads.
            try db.beginTransaction(.immediate)
            let result: T
            do {
                result = try body(db)
                try db.commit()
            } catch {
                try? db.rollback()
                throw error
            }
            committed(result)
            return result
        }
    }

    /// A write that reads or changes the goal value log (see ``GoalValueLog``): the log is read again first if another
    /// connection committed meanwhile, and what `body` records in the change applies to memory once the commit has
    /// returned (never when it fails: SQLite may have rolled the transaction back by itself).
    private func logWrite<T: Sendable>(background: Bool,
                                       _ body: @escaping @Sendable (Database, GoalValueLog, inout GoalValueLog.Change) throws -> T)
        async throws -> T
    {
        let log = goalValues
        return try await write(background: background, { db in
            try log.refresh(db)
            var change = GoalValueLog.Change()
            let result = try body(db, log, &change)
            return Logged(result: result, change: change)
        }, committed: { log.apply($0.change) }).result
    }

    private struct Logged<T: Sendable>: Sendable {
        var result: T
        var change: GoalValueLog.Change
    }

    /// The writer's `synchronous` setting now (2: FULL, every commit synced; 1: NORMAL).
    package func writerSynchronous() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func append(_ events: [UserEvent], attributing goals: GoalIndex) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try await pool.write { db in try Self.insert(events, attributing: goals, db) }
    }

    /// Inserts events and queues the new ones a goal counts; returns how many were new (the rest repeated a kept
    /// message id).
    private static func insert(_ events: [UserEvent], attributing goals: GoalIndex, _ db: Database) throws -> Int {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO events (user_id, name, time, properties, message_id) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """)
        // SQLite may give a new event the seq of the newest one deleted (seq is the rowid): a queue row left for that
        // one then stands for this one.
        let queue = try db.cachedStatement(sql: "INSERT OR IGNORE INTO attribution_queue (seq) VALUES (?)")
        var added = 0
        for e in events {
            try statement.execute(arguments: [e.userId, e.event.name, e.event.time.timeIntervalSince1970,
                                              Encoding.properties(e.event.properties), e.messageId])
            guard db.changesCount > 0 else { continue }
            added += 1
            if goals.counts(e.event.name) { try queue.execute(arguments: [db.lastInsertedRowID]) }
        }
        return added
    }

    /// One process writes an SQLite file, and its passes run one at a time in the writer.
    public func awaitOtherPasses() async throws {}

    public func attributeQueued(_ goals: GoalIndex, limit: Int) async throws -> Int {
        try await logWrite(background: true) { db, log, change in
            // SQLite has one writer: what this reads stays the queue's head until it is deleted below.
            var taken = 0
            var last: Int64 = 0
            var events: [UserEvent] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT q.seq, e.user_id, e.name, e.time, e.properties FROM attribution_queue q LEFT JOIN events e USING (seq)
                ORDER BY q.seq LIMIT ?
                """), arguments: [limit])
            while let row = try rows.next() {
                taken += 1
                last = row[0]
                // An event gone since (its user removed) has no row.
                guard let user: String = row[1] else { continue }
                events.append(UserEvent(userId: user, event: Encoding.event(name: row[2], time: row[3], properties: row[4])))
            }
            guard taken > 0 else { return 0 }
            if log.isFull { try log.fold(db, into: &change) }
            try Self.attribute(events, goals, log, db, into: &change)
            try db.execute(sql: "DELETE FROM attribution_queue WHERE seq <= ?", arguments: [last])
            return taken
        }
    }

    /// Folds the goal values passes wrote into their table now, whatever the log holds; returns how many rows it
    /// held. Passes fold it on their own once it is full: this is for measuring what a fold costs.
    package func foldGoalValues() async throws -> Int {
        try await logWrite(background: true) { db, log, change in
            let held = log.rows
            guard held > 0 else { return 0 }
            try log.fold(db, into: &change)
            return held
        }
    }

    /// The batch's exposures are read in one statement per campaign, with the values `goal_values` holds for them; a
    /// user's value is the log's, else that one, and the new one is appended to the log. SQLite has one writer at a
    /// time: nothing comes in between. Rows are read through cursors, not copied.
    private static func attribute(_ events: [UserEvent], _ goals: GoalIndex, _ log: GoalValueLog, _ db: Database,
                                  into logged: inout GoalValueLog.Change) throws
    {
        var exposed: [Attribution.Pair: Exposure] = [:]
        var kept: [Attribution.ValueKey: GoalValueLog.Entry] = [:]
        var users: [String: [String]] = [:]
        for pair in Attribution.wanted(events, goals) { users[pair.campaign, default: []].append(pair.userId) }
        for (campaign, list) in users {
            for start in stride(from: 0, to: list.count, by: 500) {
                let part = Array(list[start..<min(start + 500, list.count)])
                // A user's values for the campaign follow their exposure in goal_values' key (campaign, user, goal).
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT e.user_id, e.variant, e.held_out, e.time, v.goal, v.value, v.events
                    FROM exposures e LEFT JOIN goal_values v ON v.campaign = e.campaign AND v.user_id = e.user_id
                    WHERE e.campaign = ? AND e.user_id IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))
                    """, arguments: StatementArguments([campaign] + part))
                while let row = try rows.next() {
                    let user: String = row[0]
                    let pair = Attribution.Pair(campaign: campaign, userId: user)
                    if exposed[pair] == nil {
                        exposed[pair] = Exposure(campaign: campaign, userId: user, arm: Arm(variant: row[1], heldOut: row[2]),
                                                 time: Date(timeIntervalSince1970: row[3]))
                    }
                    if let goal: String = row[4] {
                        kept[Attribution.ValueKey(campaign: campaign, goal: goal, userId: user)] = GoalValueLog.Entry(value: row[5], events: row[6])
                    }
                }
            }
        }
        guard !exposed.isEmpty else { return }
        var changes: [Attribution.RollupChange] = []
        for credit in Attribution.credits(events, goals, exposed: exposed) {
            // A pass has one credit per key, so the log in memory (as committed) holds the value before it.
            let old = log.value(credit.valueKey) ?? kept[credit.valueKey]
            guard let change = Attribution.apply(credit, to: old?.value) else { continue }
            try log.append(credit.valueKey, GoalValueLog.Entry(value: change.value, events: (old?.events ?? 0) + credit.events), db,
                           into: &logged)
            changes.append(Attribution.RollupChange(campaign: credit.campaign, goal: credit.goal, exposure: credit.exposure,
                                                    users: change.users, sum: change.sum, sumOfSquares: change.sumOfSquares))
        }
        // A batch's changes to one rollup row are summed and written once.
        try roll(changes, db)
    }

    private static func roll(_ changes: [Attribution.RollupChange], _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO rollups (campaign, goal, variant, held_out, day, users, sum, sum_squares) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET users = users + excluded.users, sum = sum + excluded.sum,
                sum_squares = sum_squares + excluded.sum_squares
            """)
        for (campaign, r) in Attribution.summed(changes) {
            try statement.execute(arguments: [campaign, r.goal, r.arm.variant, r.arm.heldOut, r.day, r.users, r.sum, r.sumOfSquares])
        }
    }

    private static func expose(_ list: [Exposure], _ db: Database) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO exposures (campaign, user_id, variant, held_out, time) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        var new: [Attribution.RollupChange] = []
        for e in list {
            try insert.execute(arguments: [e.campaign, e.userId, e.arm.variant, e.arm.heldOut, e.time.timeIntervalSince1970])
            if db.changesCount > 0 { new.append(Attribution.RollupChange(campaign: e.campaign, goal: "", exposure: e, users: 1, sum: 0, sumOfSquares: 0)) }
        }
        try roll(new, db)
    }

    public func expose(_ exposures: [Exposure]) async throws {
        guard !exposures.isEmpty else { return }
        try await backgroundWrite { db in
            let removed = try Self.removals(of: exposures.map(\.userId), db)
            try Self.expose(exposures.filter { !Removal.precedes($0.time, removedAt: removed[$0.userId]) }, db)
        }
    }

    public func recordedStage(userId: String) async throws -> String? {
        try readHere { db in try String.fetchOne(db.cachedStatement(sql: "SELECT stage FROM user_stages WHERE user_id = ?"), arguments: [userId]) }
    }

    public func recordStages(_ sightings: [StageSighting]) async throws -> [String?] {
        guard !sightings.isEmpty else { return [] }
        return try await backgroundWrite { db in
            let read = try db.cachedStatement(sql: "SELECT stage FROM user_stages WHERE user_id = ?")
            let keep = try db.cachedStatement(sql: """
                INSERT INTO user_stages (user_id, stage, since) VALUES (?, ?, ?)
                ON CONFLICT DO UPDATE SET stage = excluded.stage, since = excluded.since
                """)
            let count = try db.cachedStatement(sql: """
                INSERT INTO stage_moves (day, from_stage, to_stage, users) VALUES (?, ?, ?, 1)
                ON CONFLICT DO UPDATE SET users = users + 1
                """)
            let removed = try Self.removals(of: sightings.map(\.userId), db)
            return try sightings.map { s -> String? in
                if Removal.precedes(s.time, removedAt: removed[s.userId]) { return nil }
                let old = try String.fetchOne(read, arguments: [s.userId])
                guard old != s.stage else { return nil }
                try keep.execute(arguments: [s.userId, s.stage, s.time.timeIntervalSince1970])
                try count.execute(arguments: [Rollup.day(of: s.time), old ?? "", s.stage])
                return old ?? ""
            }
        }
    }

    /// The first `limit` ids after `cursor` that have a profile or events (or, with `ledger`, interactions), each
    /// table's user index read from the cursor on, merged.
    private static func ids(after cursor: String, limit: Int, ledger: Bool, _ db: Database) throws -> [String] {
        // A term on the arguments alone is tested once, before the interactions' index is read.
        try String.fetchAll(db.cachedStatement(sql: """
            SELECT id FROM (SELECT DISTINCT user_id AS id FROM events WHERE user_id > ?1 ORDER BY 1 LIMIT ?2) AS e
            UNION SELECT id FROM (SELECT DISTINCT user_id AS id FROM interactions WHERE ?3 AND user_id > ?1 ORDER BY 1 LIMIT ?2) AS i
            UNION SELECT id FROM (SELECT id FROM profiles WHERE id > ?1 ORDER BY 1 LIMIT ?2) AS p
            ORDER BY 1 LIMIT ?2
            """), arguments: [cursor, limit, ledger])
    }

    public func claimPass(_ name: String, every interval: TimeInterval, at now: Date) async throws -> (claimed: Bool, lastStart: Date) {
        try await pool.write { db in
            let t = now.timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO passes (name, started_at) VALUES (?1, ?2)
                ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at WHERE passes.started_at <= ?2 - ?3
                """, arguments: [name, t, interval])
            if db.changesCount > 0 { return (true, now) }
            let last = try Double.fetchOne(db, sql: "SELECT started_at FROM passes WHERE name = ?", arguments: [name]) ?? t
            return (false, Date(timeIntervalSince1970: last))
        }
    }

    public func releasePass(_ name: String, claimedAt start: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM passes WHERE name = ? AND started_at = ?", arguments: [name, start.timeIntervalSince1970])
        }
    }

    /// One read for the page (the sweep's pages are small: a blocking read holds its thread while it runs).
    public func users(after cursor: String, limit: Int, eventLimit: Int) async throws -> UserPage {
        try readHere { db in
            let ids = try Self.ids(after: cursor, limit: limit, ledger: false, db)
            let stage = try db.cachedStatement(sql: "SELECT stage FROM user_stages WHERE user_id = ?")
            var filler = UserPageFiller(ids: ids, limit: limit)
            for (i, id) in ids.enumerated() {
                let profile = try Self.profile(id: id, eventLimit: eventLimit, db)
                if let page = filler.add(profile, stage: try String.fetchOne(stage, arguments: [id]), at: i) { return page }
            }
            return filler.page
        }
    }

    public func stageMoves() async throws -> [StageMove] {
        try readHere { db in
            try Row.fetchAll(db, sql: "SELECT day, from_stage, to_stage, users FROM stage_moves ORDER BY day, from_stage, to_stage")
                .map { StageMove(day: $0[0], from: $0[1], to: $0[2], users: $0[3]) }
        }
    }

    public func rollups(campaign: String) async throws -> [Rollup] {
        try readHere { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT goal, variant, held_out, day, users, sum, sum_squares FROM rollups WHERE campaign = ?
                ORDER BY goal, held_out DESC, variant, day
                """), arguments: [campaign])
                .map { Rollup(goal: $0[0], arm: Arm(variant: $0[1], heldOut: $0[2]), day: $0[3], users: $0[4], sum: $0[5], sumOfSquares: $0[6]) }
        }
    }

    public func events(userId: String, limit: Int) async throws -> [Event] {
        try readHere { db in try Self.events(userId: userId, limit: limit, db) }
    }

    public func deleteProfile(id: String, at time: Date) async throws -> Bool {
        try await logWrite(background: false) { db, log, change in try Self.delete(id: id, at: time, log, db, into: &change) }
    }

    /// When each of `ids` that was removed lately was removed.
    private static func removals(of ids: [String], _ db: Database) throws -> [String: Date] {
        let statement = try db.cachedStatement(sql: "SELECT removed_at FROM removals WHERE user_id = ?")
        var found: [String: Date] = [:]
        for id in Set(ids) {
            if let t = try Double.fetchOne(statement, arguments: [id]) { found[id] = Date(timeIntervalSince1970: t) }
        }
        return found
    }

    /// Forgets the removals remembered longer than ``Removal/remembered`` as of `now`.
    private static func forgetRemovals(asOf now: Date, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM removals WHERE removed_at < ?", arguments: [now.timeIntervalSince1970 - Removal.remembered])
    }

    private static func delete(id: String, at time: Date, _ log: GoalValueLog, _ db: Database,
                               into change: inout GoalValueLog.Change) throws -> Bool
    {
        var removed = 0
        try db.execute(sql: "DELETE FROM attribution_queue WHERE seq IN (SELECT seq FROM events WHERE user_id = ?)", arguments: [id])
        for table in ["profiles WHERE id = ?", "events WHERE user_id = ?", "interactions WHERE user_id = ?"] {
            try db.execute(sql: "DELETE FROM " + table, arguments: [id])
            removed += db.changesCount
        }
        // What was kept for them besides (answers to their sends, merges) goes too; it is not what "there was
        // something to remove" counts, as the other stores do not.
        try db.execute(sql: "DELETE FROM idempotency WHERE user_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM identities WHERE user_id = ?1 OR anonymous_id = ?1", arguments: [id])
        // Goal values are found through the user's exposures (their key starts with the campaign, then the user).
        try db.execute(sql: "DELETE FROM goal_values WHERE campaign IN (SELECT campaign FROM exposures WHERE user_id = ?1) AND user_id = ?1",
                       arguments: [id])
        if log.holds(id) {
            try db.execute(sql: "DELETE FROM goal_value_log WHERE user_id = ?", arguments: [id])
            change.removed += db.changesCount
            change.reread[id] = [:]
        }
        try db.execute(sql: "DELETE FROM exposures WHERE user_id = ?", arguments: [id])
        var seen = removed > 0 || db.changesCount > 0
        // Leaving their stage is a move to none, on the day of the deletion.
        if let stage = try String.fetchOne(db, sql: "DELETE FROM user_stages WHERE user_id = ? RETURNING stage", arguments: [id]) {
            seen = true
            try db.execute(sql: """
                INSERT INTO stage_moves (day, from_stage, to_stage, users) VALUES (?, ?, '', 1)
                ON CONFLICT DO UPDATE SET users = users + 1
                """, arguments: [Rollup.day(of: time), stage])
        }
        // The removal is remembered when there was someone to remove (see Removal); older ones are forgotten.
        let t = time.timeIntervalSince1970
        try forgetRemovals(asOf: time, db)
        if seen {
            try db.execute(sql: """
                INSERT INTO removals (user_id, removed_at) VALUES (?, ?)
                ON CONFLICT DO UPDATE SET removed_at = max(removed_at, excluded.removed_at)
                """, arguments: [id, t])
        }
        return removed > 0
    }

    /// The step's ids come from each table's user index, the first `subjects` of each after the cursor, merged; so
    /// a step reads the rows of the ids it looks at, not the tables. Each id's events are trimmed through the same
    /// index.
    public func prune(after cursor: String, subjects: Int, _ retention: Retention) async throws -> PruneStep {
        try await logWrite(background: true) { db, log, change in
            // Once per pass, at its first step.
            if cursor.isEmpty { try Self.forgetRemovals(asOf: Date(), db) }
            let ids = try Self.ids(after: cursor, limit: subjects, ledger: true, db)
            var step = PruneStep(next: ids.count == subjects ? ids.last : nil, subjects: ids.count)
            for id in ids {
                if retention.visitorsBefore != nil, id.hasPrefix(Retention.visitorPrefix) {
                    let seen = try Double.fetchOne(db.cachedStatement(sql: """
                        SELECT max(t) FROM (
                            SELECT max(time) AS t FROM events WHERE user_id = ?1
                            UNION ALL SELECT max(time) FROM interactions WHERE user_id = ?1
                            UNION ALL SELECT updated_at FROM profiles WHERE id = ?1)
                        """), arguments: [id])
                    let linked = try Self.link(id, db) != nil
                    if !linked, retention.visitorExpired(id, seen: seen.map { Date(timeIntervalSince1970: $0) }) {
                        _ = try Self.delete(id: id, at: Date(), log, db, into: &change)
                        step.visitors += 1
                        step.changed.append(id)
                        continue
                    }
                }
                var removed = 0
                if let before = retention.eventsBefore {
                    try db.cachedStatement(sql: "DELETE FROM events WHERE user_id = ? AND time < ?")
                        .execute(arguments: [id, before.timeIntervalSince1970])
                    removed += db.changesCount
                }
                if let limit = retention.eventsPerUser {
                    try db.cachedStatement(sql: """
                        DELETE FROM events WHERE seq IN (
                            SELECT seq FROM events WHERE user_id = ? ORDER BY time DESC, seq DESC LIMIT -1 OFFSET ?)
                        """).execute(arguments: [id, limit])
                    removed += db.changesCount
                }
                var forgotten = 0
                if let limit = retention.interactionsPerKind {
                    // The same newest as a history read keeps (see history(userId:_:)), of the user's own rows and of
                    // each visitor merged in apart (see Retention.interactionsPerKind).
                    try db.cachedStatement(sql: """
                        DELETE FROM interactions WHERE seq IN (
                            SELECT seq FROM (
                                SELECT seq, row_number() OVER (PARTITION BY campaign, kind, origin ORDER BY time DESC, seq DESC) AS n
                                FROM interactions WHERE user_id = ?)
                            WHERE n > ?)
                        """).execute(arguments: [id, limit])
                    forgotten = db.changesCount
                }
                step.events += removed
                step.interactions += forgotten
                if removed > 0 || forgotten > 0 { step.changed.append(id) }
            }
            return step
        }
    }

    public func record(_ interaction: Interaction, events: [UserEvent], attributing goals: GoalIndex) async throws {
        try await pool.write { db in
            try Self.insert(interaction, db)
            if let exposure = Exposure(interaction) { try Self.expose([exposure], db) }
            if !events.isEmpty { _ = try Self.insert(events, attributing: goals, db) }
        }
    }

    private static func insert(_ interaction: Interaction, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO interactions (user_id, campaign, channel, kind, time, variant, placement, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [interaction.userId, interaction.campaign, interaction.channel.rawValue,
                        interaction.kind.rawValue, interaction.time.timeIntervalSince1970, interaction.variant,
                        interaction.placement, Encoding.data(interaction.data)])
    }

    public func history(userId: String) async throws -> InteractionHistory {
        try readHere { db in try Self.history(userId: userId, db) }
    }

    /// One write transaction: SQLite has one writer at a time, so admissions (and every other write) take turns.
    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult
    {
        let cutoff = now.addingTimeInterval(-idempotencyLifetime).timeIntervalSince1970
        return try await pool.write { db in
            // Expired answers go a few at a time, as admissions pass.
            try db.execute(sql: "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE created_at <= ? LIMIT 16)",
                           arguments: [cutoff])
            if let key = idempotency?.key, let kept = try Self.kept(key: key, after: cutoff, db) { return .replayed(kept) }
            let admission = try decide(try Self.history(userId: userId, db))
            for i in admission.interactions { try Self.insert(i, db) }
            try Self.expose(admission.allExposures, db)
            if let idempotency {
                try db.execute(sql: """
                    INSERT INTO idempotency (key, user_id, fingerprint, answer, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET user_id = excluded.user_id, fingerprint = excluded.fingerprint,
                        answer = excluded.answer, created_at = excluded.created_at
                    """, arguments: [idempotency.key, userId, idempotency.fingerprint, admission.answer, now.timeIntervalSince1970])
            }
            return .decided(admission.answer)
        }
    }

    public func identify(anonymous: String, user: String, at time: Date) async throws -> MergeResult {
        try await logWrite(background: false) { db, log, change in
            let link = try Self.link(anonymous, db)
            if let link, link.identity.user != user {
                throw IdentityError.linkedElsewhere(anonymousId: anonymous, userId: link.identity.user)
            }
            guard let target = try Self.record(id: user, db) else { throw IdentityError.unknownUser(user) }
            let visitor = try Self.record(id: anonymous, db)
            let (merged, traits) = MergeRecord.merge(target, visitor, at: time)
            if visitor != nil {
                try Self.write(merged, db)
                try db.execute(sql: "DELETE FROM profiles WHERE id = ?", arguments: [anonymous])
            }
            // A message the user has already (the same message id) is kept once.
            try db.execute(sql: """
                DELETE FROM events WHERE user_id = ?1 AND message_id IN (SELECT message_id FROM events WHERE user_id = ?2 AND message_id IS NOT NULL)
                """, arguments: [anonymous, user])
            try db.execute(sql: "UPDATE events SET user_id = ?, origin = ?2 WHERE user_id = ?2", arguments: [user, anonymous])
            let events = db.changesCount
            try db.execute(sql: "UPDATE interactions SET user_id = ?, origin = ?2 WHERE user_id = ?2", arguments: [user, anonymous])
            let interactions = db.changesCount
            // The visitor's exposures (and goal values) become the user's where the user has none for the campaign:
            // what the user does next counts for the arm the visitor was in.
            try log.move(from: anonymous, among: [user, anonymous], db, into: &change) { table in
                try db.execute(sql: """
                    UPDATE \(table) SET user_id = ?1 WHERE user_id = ?2
                        AND campaign IN (SELECT campaign FROM exposures WHERE user_id = ?2)
                        AND campaign NOT IN (SELECT campaign FROM exposures WHERE user_id = ?1)
                    """, arguments: [user, anonymous])
            }
            try db.execute(sql: """
                UPDATE exposures SET user_id = ?1, origin = ?2
                WHERE user_id = ?2 AND campaign NOT IN (SELECT campaign FROM exposures WHERE user_id = ?1)
                """, arguments: [user, anonymous])
            let identity = link?.identity ?? Identity(anonymous: anonymous, user: user, linkedAt: time)
            if link == nil {
                try db.execute(sql: "INSERT INTO identities (anonymous_id, user_id, linked_at, merge) VALUES (?, ?, ?, ?)",
                               arguments: [anonymous, user, time.timeIntervalSince1970,
                                           MergeRecord(visitor: visitor, userKeys: Set(target.traits.keys)).encoded])
            }
            return MergeResult(identity: identity, events: events, interactions: interactions, traits: traits, alreadyLinked: link != nil)
        }
    }

    public func unlink(anonymous: String) async throws -> MergeResult? {
        try await logWrite(background: false) { db, log, change in
            guard let (identity, merge) = try Self.link(anonymous, db) else { return nil }
            try db.execute(sql: "UPDATE events SET user_id = origin, origin = NULL WHERE user_id = ? AND origin = ?",
                           arguments: [identity.user, anonymous])
            let events = db.changesCount
            try db.execute(sql: "UPDATE interactions SET user_id = origin, origin = NULL WHERE user_id = ? AND origin = ?",
                           arguments: [identity.user, anonymous])
            let interactions = db.changesCount
            // The exposures the merge gave the user go back to the visitor, with their goal values.
            try log.move(from: identity.user, among: [identity.user, anonymous], db, into: &change) { table in
                try db.execute(sql: """
                    UPDATE \(table) SET user_id = ?2 WHERE user_id = ?1
                        AND campaign IN (SELECT campaign FROM exposures WHERE user_id = ?1 AND origin = ?2)
                    """, arguments: [identity.user, anonymous])
            }
            try db.execute(sql: "UPDATE exposures SET user_id = origin, origin = NULL WHERE user_id = ? AND origin = ?",
                           arguments: [identity.user, anonymous])
            var traits = 0
            if let user = try Self.record(id: identity.user, db) {
                let (restored, removed) = merge.unmerge(user)
                traits = removed
                if removed > 0 { try Self.write(restored, db) }
            }
            if let visitor = merge.visitor { try Self.write(visitor, db) }
            try db.execute(sql: "DELETE FROM identities WHERE anonymous_id = ?", arguments: [anonymous])
            return MergeResult(identity: identity, events: events, interactions: interactions, traits: traits, alreadyLinked: true)
        }
    }

    public func linkedUser(anonymous: String) async throws -> String? {
        try readHere { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT user_id FROM identities WHERE anonymous_id = ?"), arguments: [anonymous])
        }
    }

    private static func link(_ anonymous: String, _ db: Database) throws -> (identity: Identity, merge: MergeRecord)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT user_id, linked_at, merge FROM identities WHERE anonymous_id = ?",
                                         arguments: [anonymous])
        else { return nil }
        return (Identity(anonymous: anonymous, user: row[0], linkedAt: Date(timeIntervalSince1970: row[1])),
                MergeRecord(id: anonymous, encoded: row[2]))
    }

    /// Writes a whole profile record (insert or replace).
    private static func write(_ r: ProfileRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO profiles (id, traits, time_zone, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET traits = excluded.traits, time_zone = excluded.time_zone,
                    locale = excluded.locale, created_at = excluded.created_at, updated_at = excluded.updated_at
                """,
            arguments: [r.id, Encoding.traits(r.traits), r.timeZone, r.locale, r.createdAt.timeIntervalSince1970,
                        r.updatedAt.timeIntervalSince1970])
    }

    public func export(userId: String) async throws -> PersonalData? {
        try readHere { db in
            var events: [Kept<Event>] = []
            let eventRows = try Row.fetchCursor(db, sql: """
                SELECT name, time, properties, message_id, origin FROM events WHERE user_id = ? ORDER BY time, seq
                """, arguments: [userId])
            while let row = try eventRows.next() {
                events.append(Kept(Encoding.event(name: row[0], time: row[1], properties: row[2]), origin: row[4], messageId: row[3]))
            }
            var interactions: [Kept<Interaction>] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT campaign, channel, kind, time, variant, placement, data, origin FROM interactions WHERE user_id = ? ORDER BY time, seq
                """, arguments: [userId])
            while let row = try rows.next() {
                guard let interaction = Self.interaction(userId: userId, row) else { continue }
                interactions.append(Kept(interaction, origin: row[7]))
            }
            let identities = try Row.fetchAll(db, sql: "SELECT anonymous_id, linked_at FROM identities WHERE user_id = ? ORDER BY linked_at",
                                              arguments: [userId])
                .map { Identity(anonymous: $0[0], user: userId, linkedAt: Date(timeIntervalSince1970: $0[1])) }
            let data = PersonalData(record: try Self.record(id: userId, db), events: events, interactions: interactions, identities: identities)
            return data.isEmpty ? nil : data
        }
    }

    public func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer? {
        let cutoff = now.addingTimeInterval(-idempotencyLifetime).timeIntervalSince1970
        return try readHere { db in try Self.kept(key: key, after: cutoff, db) }
    }

    private static func kept(key: String, after cutoff: Double, _ db: Database) throws -> KeptAnswer? {
        guard let row = try Row.fetchOne(db, sql: "SELECT fingerprint, answer FROM idempotency WHERE key = ? AND created_at > ?",
                                         arguments: [key, cutoff])
        else { return nil }
        return KeptAnswer(fingerprint: row[0], answer: row[1])
    }

    /// What SQLite's allocator holds in this process: every connection's page cache, schema and statements.
    public var memoryInUse: Int? { Int(sqlite3_memory_used()) }

    public var databaseReads: Int { reads.load(ordering: .relaxed) }

    public var goalValueLogRows: Int? { goalValues.rows }

    public func ping() async throws {
        _ = try readHere { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Reading rows

    private static func record(id: String, _ db: Database) throws -> ProfileRecord? {
        let statement = try db.cachedStatement(sql: "SELECT traits, time_zone, locale, created_at, updated_at FROM profiles WHERE id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
        return ProfileRecord(id: id, traits: Encoding.traits(row[0] as String), timeZone: row[1], locale: row[2],
                             createdAt: Date(timeIntervalSince1970: row[3]), updatedAt: Date(timeIntervalSince1970: row[4]))
    }

    private static func profile(id: String, eventLimit: Int, _ db: Database) throws -> Profile? {
        let record = try record(id: id, db)
        let events = try events(userId: id, limit: eventLimit, db)
        guard record != nil || !events.isEmpty else { return nil }
        return Encoding.profile(id: id, record: record, events: events)
    }

    private static func events(userId: String, limit: Int, _ db: Database) throws -> [Event] {
        let statement = try db.cachedStatement(sql: """
            SELECT name, time, properties FROM (
                SELECT name, time, properties, seq FROM events WHERE user_id = ? ORDER BY time DESC, seq DESC LIMIT ?
            ) ORDER BY time, seq
            """)
        let rows = try Row.fetchCursor(statement, arguments: [userId, limit])
        var events: [Event] = []
        while let row = try rows.next() {
            events.append(Encoding.event(name: row[0], time: row[1], properties: row[2]))
        }
        return events
    }

    private static func history(userId: String, _ db: Database) throws -> InteractionHistory {
        // The newest of each campaign and kind (InteractionHistory.depth): all that deciding reads.
        let statement = try db.cachedStatement(sql: """
            SELECT campaign, channel, kind, time, variant, placement, data FROM (
                SELECT campaign, channel, kind, time, variant, placement, data, seq,
                    row_number() OVER (PARTITION BY campaign, kind ORDER BY time DESC, seq DESC) AS newest
                FROM interactions WHERE user_id = ?
            ) WHERE newest <= ? ORDER BY time, seq
            """)
        let rows = try Row.fetchCursor(statement, arguments: [userId, InteractionHistory.depth])
        var list: [Interaction] = []
        while let row = try rows.next() {
            if let interaction = Self.interaction(userId: userId, row) { list.append(interaction) }
        }
        return InteractionHistory(list)
    }

    /// An interaction from a row's first seven columns: campaign, channel, kind, time, variant, placement, data.
    private static func interaction(userId: String, _ row: Row) -> Interaction? {
        Encoding.interaction(userId: userId, campaign: row[0], channel: row[1], kind: row[2], time: row[3], variant: row[4],
                             placement: row[5], data: row[6])
    }
}
