import Foundation
import Liquid
import Logging
import NIOSSL
import Personalization
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

/// PostgreSQL through PostgresNIO, for many server instances behind a load balancer. The schema is brought up to
/// date at start under an advisory lock, so instances starting together migrate once.
///
/// The client's connection pool runs as a service: call ``run()`` (the server puts it in its service group) for
/// as long as the store is used.
///
/// When PostgreSQL cannot be reached (restarting, the network gone) a call waits at most `leaseTimeout` for a
/// connection and then fails with ``StoreUnavailable``, as does one whose connection is lost or whose answer does not
/// come within `answerTimeout`; from then on calls fail at once but for one a second, until one succeeds
/// (``Availability``). The pool reconnects by itself. A call that failed for a lost connection wrote nothing (a
/// transaction not committed is rolled back by the server); one that gave up waiting for the answer may yet be
/// written, so a retry counts once only where the write carries its own key (events their `message_id`, sends an
/// `Idempotency-Key`).
public final class PostgresStore: Store, StoreReporting {
    private let client: PostgresClient
    private let logger: Logger
    private let availability = Availability()
    private let leaseTimeout: Duration
    private let answerTimeout: Duration
    private let reads = Atomic<Int>(0)
    /// Where the pool connects, for one connection outside it (``connectionProblem(within:)``).
    private let address: Address
    /// Transactions made background writes (``unsynced(_:)``), counted for the tests.
    package let backgroundWrites = Atomic<Int>(0)

    /// A client for `url` (`postgres://user:password@host:5432/database?sslmode=disable|prefer|require`), with at
    /// most `connections` connections (per instance), each call waiting at most `leaseTimeout` for one and about
    /// `answerTimeout` more for PostgreSQL's answer.
    public init(url: String, logger: Logger, connections: Int = 16, leaseTimeout: Duration = .seconds(5),
                answerTimeout: Duration = .seconds(30)) throws {
        address = try Address(url: url)
        var configuration = address.pool
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.connectTimeout = min(configuration.options.connectTimeout, leaseTimeout)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        self.answerTimeout = answerTimeout
    }

    /// Whether the last calls found PostgreSQL unreachable.
    public var isUnavailable: Bool { availability.isDown }

    /// Runs `body` on a connection from the pool, waiting at most `leaseTimeout` for one and, once it has one, about
    /// `answerTimeout` more for the answer (unless `mayTakeLong`, as a migration may); unreachable errors and both
    /// timeouts become ``StoreUnavailable``.
    ///
    /// The caller is answered when the first of the body and the timer ends, without waiting for the other: a
    /// connection whose answer never comes (a network that drops packets, a connection lost in a state the driver
    /// does not notice) costs a request its timeout, not its life. Such a body is cancelled and left to end when it
    /// ends.
    private func withConnection<T: Sendable>(
        mayTakeLong: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try availability.admit()
        let leased = LeaseFlag()
        let client = client
        let leaseTimeout = leaseTimeout
        let answerTimeout: Duration? = mayTakeLong ? nil : self.answerTimeout
        let race = Race<T>()
        do {
            let value = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    race.begin(continuation)
                    let work = Task {
                        do {
                            race.finish(.success(try await client.withConnection { connection in
                                leased.set()
                                return try await body(connection)
                            }))
                        } catch {
                            race.finish(.failure(error))
                        }
                    }
                    let timer = Task {
                        do { try await Task.sleep(for: leaseTimeout) } catch { return }
                        if !leased.isSet { return race.finish(.failure(LeaseTimeout(after: leaseTimeout))) }
                        guard let answerTimeout else { return }
                        do { try await Task.sleep(for: answerTimeout) } catch { return }
                        race.finish(.failure(AnswerTimeout(after: answerTimeout)))
                    }
                    // Whatever ended it (the body, a timeout, the caller's cancellation), the rest is not waited for.
                    race.whenFinished {
                        timer.cancel()
                        work.cancel()
                    }
                }
            } onCancel: {
                race.finish(.failure(CancellationError()))
            }
            availability.succeeded()
            return value
        } catch {
            guard Availability.isUnreachable(error) else { throw error }
            availability.failed("\(error)")
            logger.warning("PostgreSQL unreachable: \(String(reflecting: error))")
            throw StoreUnavailable("PostgreSQL is unavailable: \(error)", retryAfter: 1)
        }
    }

    /// Why a connection cannot be had, from one opened outside the pool and closed at once: PostgreSQL's own message
    /// and SQLSTATE when it refused, the network's error when it could not be reached, that nothing answered within
    /// `limit`; nil when it connects (the pool is busy, not refused) or the caller has gone.
    func connectionProblem(within limit: Duration) async -> String? {
        var limited: PostgresConnection.Configuration
        do {
            limited = try address.connection
        } catch {
            return "TLS could not be set up: \(error)"
        }
        // The driver's own timeout a second after the timer's, so a silent server is always the timer's "no answer".
        limited.options.connectTimeout = .milliseconds(Int64(limit / .milliseconds(1)) + 1000)
        let (configuration, logger) = (limited, logger)
        // A server that accepts the connection and then says nothing would keep the attempt waiting: a timer ends it.
        let attempt = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                    try? await connection.close()
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if Task.isCancelled { return nil }
        switch attempt {
        case nil:
            return "no answer within \(limit)"
        case .success?:
            return nil
        case .failure(let error)?:
            guard let error = error as? PSQLError else { return "\(error)" }
            switch error.code {
            case .server:
                let info = error.serverInfo
                return "\(info?[.message] ?? "refused") (SQLSTATE \(info?[.sqlState] ?? "unknown"))"
            case .sslUnsupported:
                return "the server does not accept TLS, which the address's sslmode requires"
            case .serverClosedConnection:
                return "the server closed the connection before it was open"
            case .connectionError:
                return error.underlying.map { "\($0)" } ?? String(reflecting: error)
            default:
                return String(reflecting: error)
            }
        }
    }

    /// A read on a connection from the pool, counted.
    private func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        reads.add(1, ordering: .relaxed)
        return try await withConnection(body)
    }

    public var memoryInUse: Int? { nil }

    public var databaseReads: Int { reads.load(ordering: .relaxed) }

    public var goalValueLogRows: Int? { nil }

    /// A transaction on a connection from the pool, as ``withConnection(_:)`` has one. (Internal, not private: tests
    /// hold rows in one, as a concurrent attribution pass does.)
    func withTransaction<T: Sendable>(
        mayTakeLong: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = logger
        return try await withConnection(mayTakeLong: mayTakeLong) { connection in try await connection.withTransaction(logger: logger) { try await body($0) } }
    }

    /// Keeps the connection pool going until the task is cancelled.
    public func run() async {
        await client.run()
    }

    /// A `postgres://` address, read once: the pool's configuration, and one connection's.
    struct Address {
        let host: String, port: Int, user: String, password: String?, database: String?
        /// `sslmode`, as the driver knows it.
        enum TLSMode { case disable, prefer, require }
        let tls: TLSMode

        init(url text: String) throws {
            guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
                  let host = url.host, !host.isEmpty
            else {
                throw StoreError("a PostgreSQL address looks like postgres://user:password@host:5432/database, not \(text)")
            }
            let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
            let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
            switch mode {
            case "disable": tls = .disable
            case "prefer", "allow": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw StoreError("sslmode must be disable, prefer or require, not \(mode)")
            }
            self.host = host
            port = url.port ?? 5432
            user = url.user?.removingPercentEncoding ?? "postgres"
            password = url.password?.removingPercentEncoding
            self.database = database.isEmpty ? nil : database
        }

        var pool: PostgresClient.Configuration {
            let mode: PostgresClient.Configuration.TLS = switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
            return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: mode)
        }

        /// Made when asked for: a TLS context reads the system's trust roots.
        var connection: PostgresConnection.Configuration {
            get throws {
                let mode: PostgresConnection.Configuration.TLS = switch tls {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
                return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: mode)
            }
        }
    }

    /// The migrations, in order; each runs once, recorded in `stagecraft_migrations`.
    static let migrations: [(version: Int, name: String, sql: [PostgresQuery])] = [
        (1, "profiles, events, interactions", [
            """
            CREATE TABLE profiles (
                id TEXT PRIMARY KEY,
                traits TEXT NOT NULL,
                time_zone TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                seq BIGSERIAL PRIMARY KEY,
                user_id TEXT NOT NULL,
                name TEXT NOT NULL,
                time DOUBLE PRECISION NOT NULL,
                properties TEXT,
                message_id TEXT
            )
            """,
            "CREATE INDEX events_by_user ON events (user_id, time, seq)",
            "CREATE UNIQUE INDEX events_by_message ON events (user_id, message_id) WHERE message_id IS NOT NULL",
            """
            CREATE TABLE interactions (
                seq BIGSERIAL PRIMARY KEY,
                user_id TEXT NOT NULL,
                campaign TEXT NOT NULL,
                channel TEXT NOT NULL,
                kind TEXT NOT NULL,
                time DOUBLE PRECISION NOT NULL,
                variant TEXT,
                placement TEXT,
                data TEXT
            )
            """,
            "CREATE INDEX interactions_by_user ON interactions (user_id, time, seq)",
        ]),
        (2, "profile locale", ["ALTER TABLE profiles ADD COLUMN locale TEXT"]),
        (3, "idempotency keys", [
            """
            CREATE TABLE idempotency (
                key TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                answer TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX idempotency_by_time ON idempotency (created_at)",
            "CREATE INDEX idempotency_by_user ON idempotency (user_id)",
        ]),
        (4, "identities", [
            "ALTER TABLE events ADD COLUMN origin TEXT",
            "ALTER TABLE interactions ADD COLUMN origin TEXT",
            """
            CREATE TABLE identities (
                anonymous_id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                linked_at DOUBLE PRECISION NOT NULL,
                merge TEXT NOT NULL
            )
            """,
            "CREATE INDEX identities_by_user ON identities (user_id)",
        ]),
        // Every change to a user's profile, events or ledger, and to a visitor's link, is told on one channel when
        // it commits, whoever wrote it, so instances can keep caches: `u<user id>` or `l<anonymous id>`.
        (5, "change notifications", [
            notifier("stagecraft_changed_profile", "u", "id"),
            notifier("stagecraft_changed_user_rows", "u", "user_id"),
            notifier("stagecraft_changed_link", "l", "anonymous_id"),
            """
            CREATE TRIGGER profiles_changed AFTER INSERT OR UPDATE OR DELETE ON profiles
                FOR EACH ROW EXECUTE FUNCTION stagecraft_changed_profile()
            """,
            """
            CREATE TRIGGER events_changed AFTER INSERT OR UPDATE OR DELETE ON events
                FOR EACH ROW EXECUTE FUNCTION stagecraft_changed_user_rows()
            """,
            """
            CREATE TRIGGER interactions_changed AFTER INSERT OR UPDATE OR DELETE ON interactions
                FOR EACH ROW EXECUTE FUNCTION stagecraft_changed_user_rows()
            """,
            """
            CREATE TRIGGER identities_changed AFTER INSERT OR UPDATE OR DELETE ON identities
                FOR EACH ROW EXECUTE FUNCTION stagecraft_changed_link()
            """,
        ]),
        // Campaign results: first exposures, each user's value per goal, and per arm and exposure day the sums the
        // statistics need. Impressions kept before are exposures already: each user's first of each campaign.
        (6, "exposures and results", [
            """
            CREATE TABLE exposures (
                campaign TEXT NOT NULL,
                user_id TEXT NOT NULL,
                variant TEXT NOT NULL,
                held_out BOOLEAN NOT NULL,
                time DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (campaign, user_id)
            )
            """,
            "CREATE INDEX exposures_by_user ON exposures (user_id)",
            """
            CREATE TABLE goal_values (
                campaign TEXT NOT NULL,
                user_id TEXT NOT NULL,
                goal TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                events BIGINT NOT NULL,
                PRIMARY KEY (campaign, user_id, goal)
            )
            """,
            """
            CREATE TABLE rollups (
                campaign TEXT NOT NULL,
                goal TEXT NOT NULL,
                variant TEXT NOT NULL,
                held_out BOOLEAN NOT NULL,
                day INTEGER NOT NULL,
                users BIGINT NOT NULL,
                sum DOUBLE PRECISION NOT NULL,
                sum_squares DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (campaign, goal, variant, held_out, day)
            )
            """,
            """
            INSERT INTO exposures (campaign, user_id, variant, held_out, time)
            SELECT DISTINCT ON (campaign, user_id) campaign, user_id, coalesce(variant, ''), false, time
            FROM interactions WHERE kind = 'impression' ORDER BY campaign, user_id, time, seq
            """,
            """
            INSERT INTO rollups (campaign, goal, variant, held_out, day, users, sum, sum_squares)
            SELECT campaign, '', variant, held_out, floor(time / 86400)::integer AS day, count(*), 0, 0
            FROM exposures GROUP BY campaign, variant, held_out, day
            """,
        ]),
        // Lifecycle stages as users are seen in them: each user's last, and per day the moves between them.
        (7, "stage moves", [
            "CREATE TABLE user_stages (user_id TEXT PRIMARY KEY, stage TEXT NOT NULL, since DOUBLE PRECISION NOT NULL)",
            """
            CREATE TABLE stage_moves (
                day INTEGER NOT NULL,
                from_stage TEXT NOT NULL,
                to_stage TEXT NOT NULL,
                users BIGINT NOT NULL,
                PRIMARY KEY (day, from_stage, to_stage)
            )
            """,
        ]),
        // Events a goal counts, by seq, until a pass attributes them (events kept before were attributed as they were
        // written).
        // The visitor an exposure came from when a merge moved it to a user (an undo moves it back).
        (8, "attribution queue, exposure origins", [
            "CREATE TABLE attribution_queue (seq BIGINT PRIMARY KEY)",
            "ALTER TABLE exposures ADD COLUMN origin TEXT",
        ]),
        // When each background pass (the stage sweep) last started, whichever instance ran it.
        (9, "background passes", [
            "CREATE TABLE passes (name TEXT PRIMARY KEY, started_at DOUBLE PRECISION NOT NULL)",
        ]),
        // People removed in the last hour, and when (see Removal).
        (10, "removals", [
            "CREATE TABLE removals (user_id TEXT PRIMARY KEY, removed_at DOUBLE PRECISION NOT NULL)",
            "CREATE INDEX removals_by_time ON removals (removed_at)",
        ]),
    ]

    /// The channel every change is told on (see migration 5).
    static let changesChannel = "stagecraft_changes"

    /// A trigger function telling `prefix` and the changed row's `column`, before and after, on ``changesChannel``.
    private static func notifier(_ name: String, _ prefix: String, _ column: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('\(changesChannel)', '\(prefix)' || OLD.\(column)); END IF;
                IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('\(changesChannel)', '\(prefix)' || NEW.\(column)); END IF;
                RETURN NULL;
            END $$
            """)
    }

    /// Applies the migrations not yet applied. Instances starting at once take turns on an advisory lock.
    ///
    /// This is a server's first call: when PostgreSQL cannot be reached, the error says why as one connection outside
    /// the pool finds it (a password refused, a database that does not exist, a port closed), not only that the pool
    /// lent nothing in time, which is all the pool says while it retries.
    public func migrate() async throws {
        do {
            try await applyMigrations()
        } catch let error as StoreUnavailable {
            guard let problem = await connectionProblem(within: .seconds(2)) else { throw error }
            throw StoreUnavailable("\(error.description) (connecting outside the pool: \(problem))", retryAfter: error.retryAfter)
        }
    }

    private func applyMigrations() async throws {
        let logger = logger
        // Waits for another instance's migration and may alter large tables: no answer timeout.
        try await withTransaction(mayTakeLong: true) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7426839)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS stagecraft_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM stagecraft_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            for m in Self.migrations where !applied.contains(m.version) {
                for statement in m.sql { try await connection.query(statement, logger: logger) }
                try await connection.query(
                    "INSERT INTO stagecraft_migrations (version, name) VALUES (\(m.version), \(m.name))", logger: logger)
            }
        }
    }

    /// Drops every table (tests start from nothing).
    public func dropEverything() async throws {
        try await client.query("DROP TABLE IF EXISTS profiles, events, interactions, idempotency, identities, exposures, goal_values, rollups, user_stages, stage_moves, attribution_queue, passes, removals, stagecraft_migrations", logger: logger)
        try await client.query("""
            DROP FUNCTION IF EXISTS stagecraft_changed_profile(), stagecraft_changed_user_rows(), stagecraft_changed_link()
            """, logger: logger)
    }

    public func saveProfile(id: String, traits: TraitsUpdate, timeZone: String?, locale: String?, at time: Date) async throws
        -> (record: ProfileRecord, created: Bool)
    {
        let t = time.timeIntervalSince1970
        let logger = logger
        return try await withTransaction { connection in
            var created = false
            for try await _ in try await connection.query("""
                INSERT INTO profiles (id, traits, created_at, updated_at) VALUES (\(id), '{}', \(t), \(t))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """, logger: logger)
            {
                created = true
            }
            guard let old = try await Self.record(id: id, connection, logger, forUpdate: true) else {
                throw StoreError("profile \(id) vanished while being written")
            }
            let record = old.saving(traits, timeZone: timeZone, locale: locale, at: time)
            try await Self.write(record, connection, logger)
            return (record, created)
        }
    }

    public func profileRecord(id: String) async throws -> ProfileRecord? {
        let logger = logger
        return try await read { connection in try await Self.record(id: id, connection, logger) }
    }

    public func profile(id: String, eventLimit: Int) async throws -> Profile? {
        let logger = logger
        return try await read { connection in try await Self.profile(id: id, eventLimit: eventLimit, connection, logger) }
    }

    public func snapshot(userId: String, eventLimit: Int) async throws -> (profile: Profile?, history: InteractionHistory) {
        let logger = logger
        return try await read { connection in
            (try await Self.profile(id: userId, eventLimit: eventLimit, connection, logger),
             try await Self.history(userId: userId, connection, logger))
        }
    }

    public func append(_ events: [UserEvent], attributing goals: GoalIndex) async throws -> Int {
        let logger = logger
        guard !events.isEmpty else { return 0 }
        // One statement needs no transaction around it.
        return try await withConnection { connection in try await Self.insert(events, attributing: goals, connection, logger) }
    }

    /// Inserts events in one statement (arrays unnested in order; '' stands for a missing value), the new ones a goal
    /// counts queued by the same statement; returns how many were new (counted by the server: one row comes back).
    private static func insert(_ events: [UserEvent], attributing goals: GoalIndex, _ connection: PostgresConnection,
                               _ logger: Logger) async throws -> Int
    {
        let users = events.map(\.userId)
        let names = events.map(\.event.name)
        let times = events.map { $0.event.time.timeIntervalSince1970 }
        let properties = events.map { Encoding.properties($0.event.properties) ?? "" }
        let messages = events.map { $0.messageId ?? "" }
        let counted = goals.eventNames
        var added = 0
        for try await n in try await connection.query("""
            WITH added AS (
                INSERT INTO events (user_id, name, time, properties, message_id)
                SELECT u, n, t, NULLIF(p, ''), NULLIF(m, '')
                FROM unnest(\(users)::text[], \(names)::text[], \(times)::float8[], \(properties)::text[], \(messages)::text[])
                    WITH ORDINALITY AS batch(u, n, t, p, m, k)
                ORDER BY k
                ON CONFLICT DO NOTHING
                RETURNING seq, name
            ), queued AS (
                INSERT INTO attribution_queue (seq) SELECT seq FROM added WHERE name = ANY(\(counted)::text[])
            )
            SELECT count(*) FROM added
            """, logger: logger).decode(Int.self)
        {
            added = n
        }
        return added
    }

    /// The advisory lock passes hold shared for their whole transaction, and ``awaitOtherPasses()`` takes alone: it
    /// gets it once the passes running have committed. (Two keys: apart from the migrations' one-key lock; ids are
    /// locked under 7426840.)
    static let passesLock = "7426841, 0"

    /// Takes the queue's oldest rows no other pass holds (`FOR UPDATE SKIP LOCKED`: instances share the work), with
    /// their events, attributes them and deletes them, in one transaction, which first takes the passes' lock shared
    /// (before any row, so a pass waiting for it holds nothing another waits for). Each event is looked up by its key (a
    /// `LATERAL` subquery kept apart by `OFFSET 0`): the queue's row count is often misjudged (rows come and go all
    /// day), and the join the planner chose from it read the whole events table, 100 ms a pass at 220,000 events.
    public func attributeQueued(_ goals: GoalIndex, limit: Int) async throws -> Int {
        let logger = logger
        return try await withTransaction { connection in
            // A pass answers no caller: its commit does not wait for the WAL to reach the disk (a crash may lose the
            // last passes as a whole, their queue rows with them, and they are done again); acknowledged writes
            // keep synchronous_commit as configured.
            // The passes' lock in the same statement: a round trip less per pass.
            try await self.unsynced(connection, alongside: "pg_advisory_xact_lock_shared(\(Self.passesLock))")
            var seqs: [Int] = []
            var events: [UserEvent] = []
            for try await row in try await connection.query("""
                SELECT q.seq, e.user_id, e.name, e.time, e.properties
                FROM (SELECT seq FROM attribution_queue ORDER BY seq LIMIT \(limit) FOR UPDATE SKIP LOCKED) q
                    LEFT JOIN LATERAL (SELECT user_id, name, time, properties FROM events WHERE events.seq = q.seq OFFSET 0) e ON true
                ORDER BY q.seq
                """, logger: logger)
            {
                var cells = Cells(row)
                seqs.append(try cells.next(Int.self))
                // An event gone since (its user removed) has no row.
                if let user = try cells.next(String?.self), let name = try cells.next(String?.self), let time = try cells.next(Double?.self) {
                    let properties = try cells.next(String?.self)
                    events.append(UserEvent(userId: user, event: Encoding.event(name: name, time: time, properties: properties)))
                }
            }
            guard !seqs.isEmpty else { return 0 }
            try await Self.attribute(events, goals, connection, logger)
            try await connection.query("DELETE FROM attribution_queue WHERE seq = ANY(\(seqs)::int8[])", logger: logger)
            return seqs.count
        }
    }

    /// Takes the passes' lock alone, in a transaction of its own that ends at once: that waits for the passes holding
    /// it shared (other instances' among them) to commit. Passes starting meanwhile wait the moment it takes.
    public func awaitOtherPasses() async throws {
        let logger = logger
        try await withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(unescaped: Self.passesLock))", logger: logger)
        }
    }

    /// Counts new events for their goals. A user's value is added to by an upsert that returns what it made (the row
    /// stays locked to the end of the transaction), so concurrent writers each change the rollups by what they
    /// added; rows are written in key order, goal values before rollups, so writers never wait in a circle.
    private static func attribute(_ events: [UserEvent], _ goals: GoalIndex, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let wanted = Attribution.wanted(events, goals)
        guard !wanted.isEmpty else { return }
        var exposed: [Attribution.Pair: Exposure] = [:]
        // By key, one lookup per pair (see attributeQueued): a join the planner may choose reads every exposure.
        for try await row in try await connection.query("""
            SELECT w.c, w.u, e.variant, e.held_out, e.time
            FROM unnest(\(wanted.map(\.campaign))::text[], \(wanted.map(\.userId))::text[]) AS w(c, u)
                JOIN LATERAL (SELECT variant, held_out, time FROM exposures WHERE campaign = w.c AND user_id = w.u OFFSET 0) e ON true
            """, logger: logger)
        {
            var cells = Cells(row)
            let e = try cells.exposure()
            exposed[Attribution.Pair(campaign: e.campaign, userId: e.userId)] = e
        }
        guard !exposed.isEmpty else { return }
        let credits = Attribution.credits(events, goals, exposed: exposed)
        guard !credits.isEmpty else { return }
        var byKey: [Attribution.ValueKey: Attribution.Credit] = [:]
        for c in credits { byKey[c.valueKey] = c }
        var changes: [Attribution.RollupChange] = []
        func add(_ c: Attribution.Credit, _ change: (value: Double, users: Int, sum: Double, sumOfSquares: Double)) {
            changes.append(Attribution.RollupChange(campaign: c.campaign, goal: c.goal, exposure: c.exposure, users: change.users,
                                                    sum: change.sum, sumOfSquares: change.sumOfSquares))
        }
        let conversions = credits.filter(\.isConversion)
        if !conversions.isEmpty {
            for try await row in try await connection.query("""
                INSERT INTO goal_values (campaign, goal, user_id, value, events)
                SELECT c, g, u, 1, n FROM unnest(\(conversions.map(\.campaign))::text[], \(conversions.map(\.goal))::text[],
                                                 \(conversions.map(\.userId))::text[], \(conversions.map(\.events))::int8[])
                    WITH ORDINALITY AS batch(c, g, u, n, k)
                ORDER BY k
                ON CONFLICT DO NOTHING
                RETURNING campaign, goal, user_id
                """, logger: logger)
            {
                var cells = Cells(row)
                if let c = byKey[try cells.valueKey()], let change = Attribution.apply(c, to: nil) { add(c, change) }
            }
        }
        let values = credits.filter { !$0.isConversion }
        if !values.isEmpty {
            for try await row in try await connection.query("""
                INSERT INTO goal_values (campaign, goal, user_id, value, events)
                SELECT c, g, u, a, n FROM unnest(\(values.map(\.campaign))::text[], \(values.map(\.goal))::text[],
                                                 \(values.map(\.userId))::text[], \(values.map(\.amount))::float8[],
                                                 \(values.map(\.events))::int8[])
                    WITH ORDINALITY AS batch(c, g, u, a, n, k)
                ORDER BY k
                ON CONFLICT (campaign, user_id, goal) DO UPDATE SET value = goal_values.value + excluded.value,
                    events = goal_values.events + excluded.events
                RETURNING campaign, goal, user_id, value, events
                """, logger: logger)
            {
                var cells = Cells(row)
                let key = try cells.valueKey()
                let (value, count) = (try cells.next(Double.self), try cells.next(Int.self))
                guard let c = byKey[key] else { continue }
                // What the row held before this upsert: nothing when it was made now.
                let old: Double? = count == c.events ? nil : value - c.amount
                if let change = Attribution.apply(c, to: old) { add(c, change) }
            }
        }
        try await roll(changes, connection, logger)
    }

    /// Adds to rollup rows, summed per row first and written in key order, in one statement.
    private static func roll(_ changes: [Attribution.RollupChange], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !changes.isEmpty else { return }
        let summed = Attribution.summed(changes)
        let list = summed.map(\.row)
        try await connection.query("""
            INSERT INTO rollups (campaign, goal, variant, held_out, day, users, sum, sum_squares)
            SELECT c, g, v, h, d, n, s, q FROM unnest(\(summed.map(\.campaign))::text[], \(list.map(\.goal))::text[],
                                                    \(list.map(\.arm.variant))::text[], \(list.map(\.arm.heldOut))::bool[],
                                                    \(list.map(\.day))::int4[], \(list.map(\.users))::int8[],
                                                    \(list.map(\.sum))::float8[], \(list.map(\.sumOfSquares))::float8[])
                WITH ORDINALITY AS batch(c, g, v, h, d, n, s, q, k)
            ORDER BY k
            ON CONFLICT (campaign, goal, variant, held_out, day) DO UPDATE SET users = rollups.users + excluded.users,
                sum = rollups.sum + excluded.sum, sum_squares = rollups.sum_squares + excluded.sum_squares
            """, logger: logger)
    }

    /// Keeps first exposures; the new ones count in their rollup rows.
    private static func expose(_ exposures: [Exposure], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !exposures.isEmpty else { return }
        // In key order, as rows are locked: writers never wait in a circle.
        let list = exposures.sorted { ($0.campaign, $0.userId) < ($1.campaign, $1.userId) }
        var new: [Attribution.RollupChange] = []
        for try await row in try await connection.query("""
            INSERT INTO exposures (campaign, user_id, variant, held_out, time)
            SELECT c, u, v, h, t FROM unnest(\(list.map(\.campaign))::text[], \(list.map(\.userId))::text[],
                                             \(list.map(\.arm.variant))::text[], \(list.map(\.arm.heldOut))::bool[],
                                             \(list.map { $0.time.timeIntervalSince1970 })::float8[])
                WITH ORDINALITY AS batch(c, u, v, h, t, k)
            ORDER BY k
            ON CONFLICT DO NOTHING
            RETURNING campaign, user_id, variant, held_out, time
            """, logger: logger)
        {
            var cells = Cells(row)
            let e = try cells.exposure()
            new.append(Attribution.RollupChange(campaign: e.campaign, goal: "", exposure: e, users: 1, sum: 0, sumOfSquares: 0))
        }
        try await roll(new, connection, logger)
    }

    /// Under the users' advisory locks, as a deletion takes them: an exposure seen before a removal another instance
    /// made meanwhile finds the removal, or is deleted by it.
    public func expose(_ exposures: [Exposure]) async throws {
        guard !exposures.isEmpty else { return }
        let logger = logger
        try await transaction(locking: Array(Set(exposures.map(\.userId))), background: true) { connection in
            let removed = try await Self.removals(of: exposures.map(\.userId), connection, logger)
            try await Self.expose(exposures.filter { !Removal.precedes($0.time, removedAt: removed[$0.userId]) }, connection, logger)
        }
    }

    /// When each of `ids` that was removed lately was removed.
    private static func removals(of ids: [String], _ connection: PostgresConnection, _ logger: Logger) async throws -> [String: Date] {
        var found: [String: Date] = [:]
        for try await (id, t) in try await connection.query("""
            SELECT user_id, removed_at FROM removals WHERE user_id = ANY(\(Array(Set(ids)))::text[])
            """, logger: logger).decode((String, Double).self)
        {
            found[id] = Date(timeIntervalSince1970: t)
        }
        return found
    }

    public func recordedStage(userId: String) async throws -> String? {
        let logger = logger
        return try await read { connection in
            var stage: String?
            for try await s in try await connection.query("SELECT stage FROM user_stages WHERE user_id = \(userId)", logger: logger)
                .decode(String.self)
            {
                stage = s
            }
            return stage
        }
    }

    /// Under the users' advisory locks (as admissions and merges take them): instances seeing a user at once move
    /// them once.
    public func recordStages(_ sightings: [StageSighting]) async throws -> [String?] {
        guard !sightings.isEmpty else { return [] }
        let logger = logger
        return try await transaction(locking: Array(Set(sightings.map(\.userId))), background: true) { connection in
            let removed = try await Self.removals(of: sightings.map(\.userId), connection, logger)
            var answers: [String?] = []
            var moves: [StageMove: Int] = [:]
            for s in sightings {
                if Removal.precedes(s.time, removedAt: removed[s.userId]) {
                    answers.append(nil)
                    continue
                }
                var old: String?
                for try await stage in try await connection.query("SELECT stage FROM user_stages WHERE user_id = \(s.userId)", logger: logger)
                    .decode(String.self)
                {
                    old = stage
                }
                guard old != s.stage else {
                    answers.append(nil)
                    continue
                }
                try await connection.query("""
                    INSERT INTO user_stages (user_id, stage, since) VALUES (\(s.userId), \(s.stage), \(s.time.timeIntervalSince1970))
                    ON CONFLICT (user_id) DO UPDATE SET stage = excluded.stage, since = excluded.since
                    """, logger: logger)
                moves[StageMove(day: Rollup.day(of: s.time), from: old ?? "", to: s.stage, users: 0), default: 0] += 1
                answers.append(old ?? "")
            }
            // The day's counts last, in key order: two instances' flushes never wait on each other in a circle.
            for (move, n) in moves.sorted(by: { ($0.key.day, $0.key.from, $0.key.to) < ($1.key.day, $1.key.from, $1.key.to) }) {
                try await connection.query("""
                    INSERT INTO stage_moves (day, from_stage, to_stage, users) VALUES (\(Int32(move.day)), \(move.from), \(move.to), \(n))
                    ON CONFLICT (day, from_stage, to_stage) DO UPDATE SET users = stage_moves.users + excluded.users
                    """, logger: logger)
            }
            return answers
        }
    }

    /// The first `limit` ids after `cursor` that have a profile or events (or, with `ledger`, interactions), each
    /// table's user index read from the cursor on, merged.
    private static func ids(after cursor: String, limit: Int, ledger: Bool, _ connection: PostgresConnection,
                            _ logger: Logger) async throws -> [String]
    {
        // A `false` before the interactions' scan is folded away when the statement is planned with its values.
        let query: PostgresQuery = """
            SELECT id FROM (SELECT DISTINCT user_id AS id FROM events WHERE user_id > \(cursor) ORDER BY 1 LIMIT \(limit)) AS e
            UNION SELECT id FROM (SELECT DISTINCT user_id AS id FROM interactions WHERE \(ledger) AND user_id > \(cursor) ORDER BY 1 LIMIT \(limit)) AS i
            UNION SELECT id FROM (SELECT id FROM profiles WHERE id > \(cursor) ORDER BY 1 LIMIT \(limit)) AS p
            ORDER BY 1 LIMIT \(limit)
            """
        var ids: [String] = []
        for try await id in try await connection.query(query, logger: logger).decode(String.self) {
            ids.append(id)
        }
        return ids
    }

    /// One statement: of instances claiming at once, one inserts or updates the row, the others find it fresh.
    public func claimPass(_ name: String, every interval: TimeInterval, at now: Date) async throws -> (claimed: Bool, lastStart: Date) {
        let logger = logger
        let t = now.timeIntervalSince1970
        return try await withConnection { connection in
            var claimed = false
            for try await _ in try await connection.query("""
                INSERT INTO passes (name, started_at) VALUES (\(name), \(t))
                ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at WHERE passes.started_at <= \(t - interval)
                RETURNING name
                """, logger: logger).decode(String.self)
            {
                claimed = true
            }
            if claimed { return (true, now) }
            var last = t
            for try await started in try await connection.query("SELECT started_at FROM passes WHERE name = \(name)", logger: logger)
                .decode(Double.self)
            {
                last = started
            }
            return (false, Date(timeIntervalSince1970: last))
        }
    }

    public func releasePass(_ name: String, claimedAt start: Date) async throws {
        let logger = logger
        let t = start.timeIntervalSince1970
        try await withConnection { connection in
            _ = try await connection.query("DELETE FROM passes WHERE name = \(name) AND started_at = \(t)", logger: logger)
        }
    }

    public func users(after cursor: String, limit: Int, eventLimit: Int) async throws -> UserPage {
        let logger = logger
        return try await read { connection in
            let ids = try await Self.ids(after: cursor, limit: limit, ledger: false, connection, logger)
            var stages: [String: String] = [:]
            for try await (id, stage) in try await connection.query(
                "SELECT user_id, stage FROM user_stages WHERE user_id = ANY(\(ids)::text[])", logger: logger).decode((String, String).self)
            {
                stages[id] = stage
            }
            var filler = UserPageFiller(ids: ids, limit: limit)
            for (i, id) in ids.enumerated() {
                let profile = try await Self.profile(id: id, eventLimit: eventLimit, connection, logger)
                if let page = filler.add(profile, stage: stages[id], at: i) { return page }
            }
            return filler.page
        }
    }

    public func stageMoves() async throws -> [StageMove] {
        let logger = logger
        return try await read { connection in
            var moves: [StageMove] = []
            for try await (day, from, to, users) in try await connection.query(
                "SELECT day, from_stage, to_stage, users FROM stage_moves ORDER BY day, from_stage, to_stage", logger: logger
            ).decode((Int32, String, String, Int).self) {
                moves.append(StageMove(day: Int(day), from: from, to: to, users: users))
            }
            return moves
        }
    }

    public func rollups(campaign: String) async throws -> [Rollup] {
        let logger = logger
        return try await read { connection in
            var rows: [Rollup] = []
            for try await (goal, variant, heldOut, day, users, sum, squares) in try await connection.query("""
                SELECT goal, variant, held_out, day, users, sum, sum_squares FROM rollups WHERE campaign = \(campaign)
                ORDER BY goal, held_out DESC, variant, day
                """, logger: logger).decode((String, String, Bool, Int32, Int, Double, Double).self)
            {
                rows.append(Rollup(goal: goal, arm: Arm(variant: variant, heldOut: heldOut), day: Int(day), users: users, sum: sum,
                                   sumOfSquares: squares))
            }
            return rows
        }
    }

    public func events(userId: String, limit: Int) async throws -> [Event] {
        let logger = logger
        return try await read { connection in try await Self.events(userId: userId, limit: limit, connection, logger) }
    }

    /// Under the id's advisory lock, as merges, their undoing and admissions take it: none of them can write the
    /// person's rows back while they go.
    public func deleteProfile(id: String, at time: Date) async throws -> Bool {
        let logger = logger
        return try await transaction(locking: [id]) { connection in try await Self.delete(id: id, at: time, connection, logger) }
    }

    /// Leaving their stage (`s`) is a move to none, counted on the deletion's day.
    ///
    /// First the person's queued events are locked, in the order attribution passes take them: this waits for a pass
    /// that holds some to commit, and no later pass can take them. Only then, in a statement of its own (which sees
    /// what that pass wrote), does everything go: a goal value the pass gave them would otherwise be written after
    /// the deletion's view of the table was taken, and outlive them.
    private static func delete(id: String, at time: Date, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await lockQueued(of: [id], connection, logger)
        let t = time.timeIntervalSince1970
        return try await count(connection, logger, """
            WITH o AS (DELETE FROM removals WHERE removed_at < \(t - Removal.remembered) AND user_id <> \(id) RETURNING 1),
                 p AS (DELETE FROM profiles WHERE id = \(id) RETURNING 1),
                 e AS (DELETE FROM events WHERE user_id = \(id) RETURNING 1),
                 q AS (DELETE FROM attribution_queue WHERE seq IN (SELECT seq FROM events WHERE user_id = \(id)) RETURNING 1),
                 i AS (DELETE FROM interactions WHERE user_id = \(id) RETURNING 1),
                 k AS (DELETE FROM idempotency WHERE user_id = \(id) RETURNING 1),
                 l AS (DELETE FROM identities WHERE user_id = \(id) OR anonymous_id = \(id) RETURNING 1),
                 x AS (DELETE FROM exposures WHERE user_id = \(id) RETURNING 1),
                 v AS (DELETE FROM goal_values WHERE user_id = \(id)
                       AND campaign IN (SELECT campaign FROM exposures WHERE user_id = \(id)) RETURNING 1),
                 s AS (DELETE FROM user_stages WHERE user_id = \(id) RETURNING stage),
                 m AS (INSERT INTO stage_moves (day, from_stage, to_stage, users)
                       SELECT \(Rollup.day(of: time)), stage, '', 1 FROM s
                       ON CONFLICT (day, from_stage, to_stage) DO UPDATE SET users = stage_moves.users + 1 RETURNING 1),
                 -- Remembered when there was someone to remove (see Removal).
                 r AS (INSERT INTO removals (user_id, removed_at)
                       SELECT \(id), \(t) WHERE EXISTS (SELECT 1 FROM p) OR EXISTS (SELECT 1 FROM e) OR EXISTS (SELECT 1 FROM i)
                           OR EXISTS (SELECT 1 FROM x) OR EXISTS (SELECT 1 FROM s)
                       ON CONFLICT (user_id) DO UPDATE SET removed_at = greatest(removals.removed_at, excluded.removed_at) RETURNING 1)
            SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM e) + (SELECT count(*) FROM i) + 0 * (SELECT count(*) FROM m) + 0 * (SELECT count(*) FROM q)
                + 0 * (SELECT count(*) FROM r) + 0 * (SELECT count(*) FROM o)
            """) > 0
    }

    /// Locks the queued events of `ids` in the order attribution passes take them: waits for a pass that holds some
    /// to commit, and keeps later passes off them until this transaction ends. A deletion, a merge and its undo take
    /// this before they move or delete a person's exposures and goal values, and then see what such a pass wrote
    /// (each statement after this one reads the table anew).
    private static func lockQueued(of ids: [String], _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            SELECT seq FROM attribution_queue WHERE seq IN (SELECT seq FROM events WHERE user_id = ANY(\(ids)::text[])) ORDER BY seq FOR UPDATE
            """, logger: logger)
    }

    /// The step's ids come from each table's user index, the first `subjects` of each after the cursor, merged.
    /// Expired visitors go under their lock (as a deletion does), checked again there; users' events are trimmed
    /// for the whole step in two statements.
    public func prune(after cursor: String, subjects: Int, _ retention: Retention) async throws -> PruneStep {
        let logger = logger
        let forgotten = Date().timeIntervalSince1970 - Removal.remembered
        let ids = try await withTransaction { connection in
            // Once per pass, at its first step; a background write, as the rest of the step.
            if cursor.isEmpty {
                try await self.unsynced(connection)
                _ = try await connection.query("DELETE FROM removals WHERE removed_at < \(forgotten)", logger: logger)
            }
            return try await Self.ids(after: cursor, limit: subjects, ledger: true, connection, logger)
        }
        var step = PruneStep(next: ids.count == subjects ? ids.last : nil, subjects: ids.count)
        var gone = Set<String>()
        let visitors = ids.filter { $0.hasPrefix(Retention.visitorPrefix) }
        if let before = retention.visitorsBefore?.timeIntervalSince1970, !visitors.isEmpty {
            let expired: @Sendable (PostgresConnection, [String]) async throws -> [String] = { connection, ids in
                var expired: [String] = []
                for try await id in try await connection.query("""
                    SELECT v.id FROM unnest(\(ids)::text[]) AS v(id)
                    WHERE NOT EXISTS (SELECT 1 FROM identities WHERE anonymous_id = v.id)
                      AND greatest((SELECT max(time) FROM events WHERE user_id = v.id),
                                   (SELECT max(time) FROM interactions WHERE user_id = v.id),
                                   (SELECT updated_at FROM profiles WHERE id = v.id)) < \(before)
                    """, logger: logger).decode(String.self)
                {
                    expired.append(id)
                }
                return expired
            }
            let candidates = try await withConnection { try await expired($0, visitors) }
            if !candidates.isEmpty {
                let removed = try await transaction(locking: candidates, background: true) { connection in
                    let still = try await expired(connection, candidates)
                    for id in still { _ = try await Self.delete(id: id, at: Date(), connection, logger) }
                    return still
                }
                gone = Set(removed)
                step.visitors = removed.count
            }
        }
        let users = ids.filter { !gone.contains($0) }
        var changed = gone
        if !users.isEmpty {
            // Each with whether it removes events (else interactions).
            var queries: [(PostgresQuery, events: Bool)] = []
            if let before = retention.eventsBefore?.timeIntervalSince1970 {
                queries.append(("""
                    WITH gone AS (DELETE FROM events WHERE user_id = ANY(\(users)) AND time < \(before) RETURNING user_id)
                    SELECT user_id, count(*) FROM gone GROUP BY user_id
                    """, events: true))
            }
            if let limit = retention.eventsPerUser {
                queries.append(("""
                    WITH gone AS (DELETE FROM events WHERE seq IN (
                        SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY user_id ORDER BY time DESC, seq DESC) AS n
                                         FROM events WHERE user_id = ANY(\(users))) AS r
                        WHERE n > \(limit)) RETURNING user_id)
                    SELECT user_id, count(*) FROM gone GROUP BY user_id
                    """, events: true))
            }
            if let limit = retention.interactionsPerKind {
                // The same newest as a history read keeps (see history(userId:_:_:)), of the user's own rows and of
                // each visitor merged in apart (see Retention.interactionsPerKind).
                queries.append(("""
                    WITH gone AS (DELETE FROM interactions WHERE seq IN (
                        SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY user_id, campaign, kind, origin
                                                                        ORDER BY time DESC, seq DESC) AS n
                                         FROM interactions WHERE user_id = ANY(\(users))) AS r
                        WHERE n > \(limit)) RETURNING user_id)
                    SELECT user_id, count(*) FROM gone GROUP BY user_id
                    """, events: false))
            }
            for (query, removesEvents) in queries {
                // A background write, as the removals above: its commit does not wait for the WAL.
                let counts = try await withTransaction { connection in
                    try await self.unsynced(connection)
                    var counts: [(String, Int)] = []
                    for try await row in try await connection.query(query, logger: logger).decode((String, Int).self) { counts.append(row) }
                    return counts
                }
                for (id, count) in counts {
                    if removesEvents { step.events += count } else { step.interactions += count }
                    changed.insert(id)
                }
            }
        }
        step.changed = ids.filter { changed.contains($0) }
        return step
    }

    public func record(_ interaction: Interaction, events: [UserEvent], attributing goals: GoalIndex) async throws {
        let logger = logger
        let exposure = Exposure(interaction)
        // One statement needs no transaction around it.
        guard !events.isEmpty || exposure != nil else {
            return try await withConnection { connection in try await Self.insert(interaction, connection, logger) }
        }
        try await withTransaction { connection in
            try await Self.insert(interaction, connection, logger)
            if let exposure { try await Self.expose([exposure], connection, logger) }
            if !events.isEmpty { _ = try await Self.insert(events, attributing: goals, connection, logger) }
        }
    }

    private static func insert(_ i: Interaction, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO interactions (user_id, campaign, channel, kind, time, variant, placement, data)
            VALUES (\(i.userId), \(i.campaign), \(i.channel.rawValue), \(i.kind.rawValue),
                    \(i.time.timeIntervalSince1970), \(i.variant), \(i.placement), \(Encoding.data(i.data)))
            """, logger: logger)
    }

    public func history(userId: String) async throws -> InteractionHistory {
        let logger = logger
        return try await read { connection in try await Self.history(userId: userId, connection, logger) }
    }

    /// One transaction holding the user's advisory lock (keyed by a hash of the id: two users that share a hash
    /// only take turns), so admissions for one user from every instance run one after the other. An answer kept
    /// under the same key by a transaction for another user makes this one roll back and replay it.
    public func admit(userId: String, idempotency: IdempotencyKey?, at now: Date,
                      _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult
    {
        let cutoff = now.addingTimeInterval(-idempotencyLifetime).timeIntervalSince1970
        let logger = logger
        return try await admit(userId: userId, idempotency: idempotency, cutoff: cutoff, now: now, logger: logger, decide)
    }

    private func admit(userId: String, idempotency: IdempotencyKey?, cutoff: Double, now: Date, logger: Logger,
                       _ decide: @escaping @Sendable (InteractionHistory) throws -> Admission) async throws -> AdmissionResult
    {
        do {
            return try await transaction(locking: [userId]) { connection in
                if let key = idempotency?.key, let kept = try await Self.kept(key: key, after: cutoff, connection, logger) {
                    return .replayed(kept)
                }
                let admission = try decide(try await Self.history(userId: userId, connection, logger))
                for i in admission.interactions { try await Self.insert(i, connection, logger) }
                try await Self.expose(admission.allExposures, connection, logger)
                if let idempotency {
                    var inserted = false
                    // A row still live for the key belongs to a concurrent request: nothing is written, and this
                    // transaction is rolled back below. An expired one is taken over.
                    for try await _ in try await connection.query("""
                        INSERT INTO idempotency (key, user_id, fingerprint, answer, created_at)
                        VALUES (\(idempotency.key), \(userId), \(idempotency.fingerprint), \(admission.answer), \(now.timeIntervalSince1970))
                        ON CONFLICT (key) DO UPDATE SET user_id = excluded.user_id, fingerprint = excluded.fingerprint,
                            answer = excluded.answer, created_at = excluded.created_at
                        WHERE idempotency.created_at <= \(cutoff)
                        RETURNING 1
                        """, logger: logger)
                    {
                        inserted = true
                    }
                    guard inserted else { throw KeyTaken() }
                }
                // A few expired answers go as admissions pass; rows another transaction holds are left for later.
                try await connection.query("""
                    DELETE FROM idempotency WHERE created_at <= \(cutoff) AND key IN (
                        SELECT key FROM idempotency WHERE created_at <= \(cutoff) LIMIT 16 FOR UPDATE SKIP LOCKED)
                    """, logger: logger)
                return .decided(admission.answer)
            }
        } catch is KeyTaken {
            guard let kept = try await keptAnswer(key: idempotency!.key, at: now) else {
                throw StoreError("the answer kept under idempotency key \(idempotency!.key) vanished while being read")
            }
            return .replayed(kept)
        }
    }

    private struct KeyTaken: Error {}

    /// One transaction holding both ids' advisory locks (in a fixed order), so a merge, its undo and an admission for
    /// either id take turns across instances.
    public func identify(anonymous: String, user: String, at time: Date) async throws -> MergeResult {
        let logger = logger
        return try await transaction(locking: [anonymous, user]) { connection in
            let link = try await Self.link(anonymous, connection, logger)
            if let link, link.identity.user != user {
                throw IdentityError.linkedElsewhere(anonymousId: anonymous, userId: link.identity.user)
            }
            guard let target = try await Self.record(id: user, connection, logger, forUpdate: true) else { throw IdentityError.unknownUser(user) }
            // A pass crediting the visitor's events finishes first: its goal values then move with their exposure.
            try await Self.lockQueued(of: [anonymous], connection, logger)
            let visitor = try await Self.record(id: anonymous, connection, logger, forUpdate: true)
            let (merged, traits) = MergeRecord.merge(target, visitor, at: time)
            if visitor != nil {
                try await Self.write(merged, connection, logger)
                try await connection.query("DELETE FROM profiles WHERE id = \(anonymous)", logger: logger)
            }
            try await connection.query("""
                DELETE FROM events WHERE user_id = \(anonymous)
                    AND message_id IN (SELECT message_id FROM events WHERE user_id = \(user) AND message_id IS NOT NULL)
                """, logger: logger)
            let events = try await Self.count(connection, logger, """
                WITH moved AS (UPDATE events SET user_id = \(user), origin = \(anonymous) WHERE user_id = \(anonymous) RETURNING 1)
                SELECT count(*) FROM moved
                """)
            let interactions = try await Self.count(connection, logger, """
                WITH moved AS (UPDATE interactions SET user_id = \(user), origin = \(anonymous) WHERE user_id = \(anonymous) RETURNING 1)
                SELECT count(*) FROM moved
                """)
            // The visitor's exposures (and goal values) become the user's where the user has none for the campaign:
            // what the user does next counts for the arm the visitor was in.
            try await connection.query("""
                UPDATE goal_values SET user_id = \(user) WHERE user_id = \(anonymous)
                    AND campaign IN (SELECT campaign FROM exposures WHERE user_id = \(anonymous))
                    AND campaign NOT IN (SELECT campaign FROM exposures WHERE user_id = \(user))
                """, logger: logger)
            try await connection.query("""
                UPDATE exposures SET user_id = \(user), origin = \(anonymous) WHERE user_id = \(anonymous)
                    AND campaign NOT IN (SELECT campaign FROM exposures WHERE user_id = \(user))
                """, logger: logger)
            let identity = link?.identity ?? Identity(anonymous: anonymous, user: user, linkedAt: time)
            if link == nil {
                let merge = MergeRecord(visitor: visitor, userKeys: Set(target.traits.keys)).encoded
                try await connection.query("""
                    INSERT INTO identities (anonymous_id, user_id, linked_at, merge)
                    VALUES (\(anonymous), \(user), \(time.timeIntervalSince1970), \(merge))
                    """, logger: logger)
            }
            return MergeResult(identity: identity, events: events, interactions: interactions, traits: traits, alreadyLinked: link != nil)
        }
    }

    public func unlink(anonymous: String) async throws -> MergeResult? {
        let logger = logger
        guard let user = try await linkedUser(anonymous: anonymous) else { return nil }
        return try await transaction(locking: [anonymous, user]) { connection in
            // Read again under the locks: an undo or another merge may have come first.
            guard let (identity, merge) = try await Self.link(anonymous, connection, logger), identity.user == user else { return nil }
            // As in a merge: the user's events (the visitor's among them) are not being credited while values move back.
            try await Self.lockQueued(of: [user], connection, logger)
            let events = try await Self.count(connection, logger, """
                WITH moved AS (UPDATE events SET user_id = origin, origin = NULL WHERE user_id = \(user) AND origin = \(anonymous) RETURNING 1)
                SELECT count(*) FROM moved
                """)
            let interactions = try await Self.count(connection, logger, """
                WITH moved AS (UPDATE interactions SET user_id = origin, origin = NULL WHERE user_id = \(user) AND origin = \(anonymous) RETURNING 1)
                SELECT count(*) FROM moved
                """)
            // The exposures the merge gave the user go back to the visitor, with their goal values.
            try await connection.query("""
                UPDATE goal_values SET user_id = \(anonymous) WHERE user_id = \(user)
                    AND campaign IN (SELECT campaign FROM exposures WHERE user_id = \(user) AND origin = \(anonymous))
                """, logger: logger)
            try await connection.query("""
                UPDATE exposures SET user_id = origin, origin = NULL WHERE user_id = \(user) AND origin = \(anonymous)
                """, logger: logger)
            var traits = 0
            if let current = try await Self.record(id: user, connection, logger, forUpdate: true) {
                let (restored, removed) = merge.unmerge(current)
                traits = removed
                if removed > 0 { try await Self.write(restored, connection, logger) }
            }
            if let visitor = merge.visitor { try await Self.write(visitor, connection, logger) }
            try await connection.query("DELETE FROM identities WHERE anonymous_id = \(anonymous)", logger: logger)
            return MergeResult(identity: identity, events: events, interactions: interactions, traits: traits, alreadyLinked: true)
        }
    }

    public func linkedUser(anonymous: String) async throws -> String? {
        let logger = logger
        return try await read { connection in
            var user: String?
            for try await id in try await connection.query("SELECT user_id FROM identities WHERE anonymous_id = \(anonymous)", logger: logger)
                .decode(String.self)
            {
                user = id
            }
            return user
        }
    }

    /// Makes the transaction on `connection` a background write, one that answers no caller: its commit does not wait
    /// for the WAL to reach the disk. A crash may lose the last such writes as a whole, never part of one, and the next
    /// synced commit (any acknowledged write) makes them durable too, as SQLite's background writes are.
    /// - Parameter alongside: an SQL expression of constants to select in the same statement (a lock to take first).
    private func unsynced(_ connection: PostgresConnection, alongside: String? = nil) async throws {
        let first = alongside.map { $0 + ", " } ?? ""
        try await connection.query("SELECT \(unescaped: first)set_config('synchronous_commit', 'off', true)", logger: logger)
        backgroundWrites.add(1, ordering: .relaxed)
    }

    /// `synchronous_commit` as a background write's transaction sees it (for the tests: "off").
    package func backgroundCommitSetting() async throws -> String {
        let logger = logger
        return try await transaction(locking: [], background: true) { connection in
            try await Self.commitSetting(connection, logger)
        }
    }

    /// `synchronous_commit` as a transaction of a write that answers a caller sees it (the server's setting).
    package func commitSetting() async throws -> String {
        let logger = logger
        return try await withTransaction { connection in try await Self.commitSetting(connection, logger) }
    }

    private static func commitSetting(_ connection: PostgresConnection, _ logger: Logger) async throws -> String {
        var setting = ""
        for try await s in try await connection.query("SELECT current_setting('synchronous_commit')", logger: logger).decode(String.self) {
            setting = s
        }
        return setting
    }

    /// A transaction holding the advisory locks of `ids` (the lock admissions take), taken in sorted order.
    /// - Parameter background: a write that answers no caller (what serving observed, retention; see ``unsynced(_:)``).
    private func transaction<T: Sendable>(locking ids: [String], background: Bool = false,
                                          _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T
    {
        let logger = logger
        do {
            return try await withTransaction { connection in
                if background { try await self.unsynced(connection) }
                // Taken in the order of the lock keys themselves (ids that share a hash share a lock), so two
                // transactions locking the same ids never wait on each other in a circle; in one statement (a round
                // trip per id made a batch of 10,000 exposures take 16 s): PostgreSQL evaluates a volatile function
                // of the output after the ORDER BY's sort, so the locks are taken in that order.
                if !ids.isEmpty {
                    for try await _ in try await connection.query("""
                        SELECT pg_advisory_xact_lock(7426840, key)
                        FROM (SELECT DISTINCT hashtext(id) AS key FROM unnest(\(ids)::text[]) AS id) k
                        ORDER BY key
                        """, logger: logger) {}
                }
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            // Rolled back: what the body threw is the error (a refused merge, a key taken), not the transaction.
            if let thrown = error.closureError, error.rollbackError == nil { throw thrown }
            throw error
        }
    }

    private static func count(_ connection: PostgresConnection, _ logger: Logger, _ query: PostgresQuery) async throws -> Int {
        var n = 0
        for try await c in try await connection.query(query, logger: logger).decode(Int.self) { n = c }
        return n
    }

    private static func link(_ anonymous: String, _ connection: PostgresConnection, _ logger: Logger) async throws
        -> (identity: Identity, merge: MergeRecord)?
    {
        var found: (Identity, MergeRecord)?
        for try await (user, linkedAt, merge) in try await connection.query("""
            SELECT user_id, linked_at, merge FROM identities WHERE anonymous_id = \(anonymous) FOR UPDATE
            """, logger: logger).decode((String, Double, String).self)
        {
            found = (Identity(anonymous: anonymous, user: user, linkedAt: Date(timeIntervalSince1970: linkedAt)),
                     MergeRecord(id: anonymous, encoded: merge))
        }
        return found
    }

    private static func write(_ r: ProfileRecord, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO profiles (id, traits, time_zone, locale, created_at, updated_at)
            VALUES (\(r.id), \(Encoding.traits(r.traits)), \(r.timeZone), \(r.locale), \(r.createdAt.timeIntervalSince1970),
                    \(r.updatedAt.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET traits = excluded.traits, time_zone = excluded.time_zone, locale = excluded.locale,
                created_at = excluded.created_at, updated_at = excluded.updated_at
            """, logger: logger)
    }

    public func export(userId: String) async throws -> PersonalData? {
        let logger = logger
        return try await withTransaction { connection in
            // One snapshot for every table read.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var events: [Kept<Event>] = []
            for try await (name, time, properties, message, origin) in try await connection.query("""
                SELECT name, time, properties, message_id, origin FROM events WHERE user_id = \(userId) ORDER BY time, seq
                """, logger: logger).decode((String, Double, String?, String?, String?).self)
            {
                events.append(Kept(Encoding.event(name: name, time: time, properties: properties), origin: origin, messageId: message))
            }
            var interactions: [Kept<Interaction>] = []
            for try await (campaign, channel, kind, time, variant, placement, data, origin) in try await connection.query("""
                SELECT campaign, channel, kind, time, variant, placement, data, origin FROM interactions
                WHERE user_id = \(userId) ORDER BY time, seq
                """, logger: logger).decode((String, String, String, Double, String?, String?, String?, String?).self)
            {
                guard let interaction = Encoding.interaction(userId: userId, campaign: campaign, channel: channel, kind: kind, time: time,
                                                             variant: variant, placement: placement, data: data)
                else { continue }
                interactions.append(Kept(interaction, origin: origin))
            }
            var identities: [Identity] = []
            for try await (anonymous, linkedAt) in try await connection.query("""
                SELECT anonymous_id, linked_at FROM identities WHERE user_id = \(userId) ORDER BY linked_at
                """, logger: logger).decode((String, Double).self)
            {
                identities.append(Identity(anonymous: anonymous, user: userId, linkedAt: Date(timeIntervalSince1970: linkedAt)))
            }
            let data = PersonalData(record: try await Self.record(id: userId, connection, logger), events: events,
                                    interactions: interactions, identities: identities)
            return data.isEmpty ? nil : data
        }
    }

    public func keptAnswer(key: String, at now: Date) async throws -> KeptAnswer? {
        let logger = logger
        let cutoff = now.addingTimeInterval(-idempotencyLifetime).timeIntervalSince1970
        return try await read { connection in try await Self.kept(key: key, after: cutoff, connection, logger) }
    }

    private static func kept(key: String, after cutoff: Double, _ connection: PostgresConnection, _ logger: Logger) async throws -> KeptAnswer? {
        var kept: KeptAnswer?
        for try await (fingerprint, answer) in try await connection.query("""
            SELECT fingerprint, answer FROM idempotency WHERE key = \(key) AND created_at > \(cutoff)
            """, logger: logger).decode((String, String).self)
        {
            kept = KeptAnswer(fingerprint: fingerprint, answer: answer)
        }
        return kept
    }

    public func ping() async throws {
        let logger = logger
        return try await withConnection { connection in _ = try await connection.query("SELECT 1", logger: logger) }
    }

    // MARK: Reading rows

    /// The profile's row; `forUpdate` locks it for the rest of the transaction.
    private static func record(id: String, _ connection: PostgresConnection, _ logger: Logger,
                               forUpdate: Bool = false) async throws -> ProfileRecord?
    {
        let query: PostgresQuery = forUpdate
            ? "SELECT traits, time_zone, locale, created_at, updated_at FROM profiles WHERE id = \(id) FOR UPDATE"
            : "SELECT traits, time_zone, locale, created_at, updated_at FROM profiles WHERE id = \(id)"
        var record: ProfileRecord?
        for try await (traits, zone, locale, createdAt, updatedAt) in try await connection.query(query, logger: logger)
            .decode((String, String?, String?, Double, Double).self)
        {
            record = ProfileRecord(id: id, traits: Encoding.traits(traits), timeZone: zone, locale: locale,
                                   createdAt: Date(timeIntervalSince1970: createdAt),
                                   updatedAt: Date(timeIntervalSince1970: updatedAt))
        }
        return record
    }

    private static func profile(id: String, eventLimit: Int, _ connection: PostgresConnection, _ logger: Logger) async throws -> Profile? {
        let record = try await record(id: id, connection, logger)
        let events = try await events(userId: id, limit: eventLimit, connection, logger)
        guard record != nil || !events.isEmpty else { return nil }
        return Encoding.profile(id: id, record: record, events: events)
    }

    private static func events(userId: String, limit: Int, _ connection: PostgresConnection, _ logger: Logger) async throws -> [Event] {
        var events: [Event] = []
        for try await (name, time, properties) in try await connection.query("""
            SELECT name, time, properties FROM (
                SELECT name, time, properties, seq FROM events WHERE user_id = \(userId)
                ORDER BY time DESC, seq DESC LIMIT \(limit)
            ) AS latest ORDER BY time, seq
            """, logger: logger).decode((String, Double, String?).self)
        {
            events.append(Encoding.event(name: name, time: time, properties: properties))
        }
        return events
    }

    private static func history(userId: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> InteractionHistory {
        var list: [Interaction] = []
        for try await (campaign, channel, kind, time, variant, placement, data) in try await connection.query("""
            SELECT campaign, channel, kind, time, variant, placement, data FROM (
                SELECT campaign, channel, kind, time, variant, placement, data, seq,
                    row_number() OVER (PARTITION BY campaign, kind ORDER BY time DESC, seq DESC) AS newest
                FROM interactions WHERE user_id = \(userId)
            ) AS kept WHERE newest <= \(InteractionHistory.depth) ORDER BY time, seq
            """, logger: logger).decode((String, String, String, Double, String?, String?, String?).self)
        {
            if let interaction = Encoding.interaction(userId: userId, campaign: campaign, channel: channel, kind: kind, time: time,
                                                      variant: variant, placement: placement, data: data)
            {
                list.append(interaction)
            }
        }
        return InteractionHistory(list)
    }
}

extension PostgresStore {
    /// Keeps `cache` told of every change to the database, by this instance or any other, until cancelled: it
    /// listens on a connection of the pool for the notifications migration 5's triggers send as changes commit. The
    /// cache is used while the listening lasts; when the connection is lost it is dropped and not used (changes may
    /// go unheard) until listening again, tried each second.
    public func followChanges(into cache: CachedStore) async {
        let client = client
        let logger = logger
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changesChannel) { notifications in
                        cache.startFollowing()
                        logger.info("following PostgreSQL's changes: the user cache is on")
                        for try await notification in notifications {
                            let payload = notification.payload
                            switch payload.first {
                            case "u": cache.changed(users: CollectionOfOne(String(payload.dropFirst())))
                            case "l": cache.changed(link: String(payload.dropFirst()))
                            default: logger.warning("an unknown change notification: \(payload.prefix(80))")
                            }
                        }
                    }
                }
            } catch {
                if !Task.isCancelled { logger.warning("not following PostgreSQL's changes (\(error)): the user cache is off until then") }
            }
            cache.stopFollowing()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// Keeps a PostgreSQL store's connection pool running for the server's lifetime.
public struct PostgresPoolService: Service {
    let store: PostgresStore

    public init(store: PostgresStore) { self.store = store }

    public func run() async throws {
        await store.run()
    }
}

/// Keeps a cache in front of a PostgreSQL store told of the changes other instances make, for the server's lifetime.
public struct PostgresChangesService: Service {
    let store: PostgresStore
    let cache: CachedStore

    public init(store: PostgresStore, cache: CachedStore) {
        self.store = store
        self.cache = cache
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await store.followChanges(into: cache) }
    }
}
