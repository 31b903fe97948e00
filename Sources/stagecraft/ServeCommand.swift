import ArgumentParser
import CMalloc
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresStorage
import ServiceLifecycle
import SQLiteStorage
import StagecraftServer
import Storage

/// `stagecraft serve`: the HTTP server over the content folder, with SQLite under `.stagecraft/` by default.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the content folder over HTTP: blocks, decisions, tours, emails, profiles, events, previews.",
        discussion: """
            Keys come from the environment (comma-separated): STAGECRAFT_SECRET_KEYS for server-side calls,
            STAGECRAFT_PUBLISHABLE_KEYS for browsers, STAGECRAFT_ALLOWED_ORIGINS for the pages that may use them.
            With no keys the server listens on 127.0.0.1 only and lets every call through.
            """
    )

    @Option(name: .long, help: "The address to listen on (127.0.0.1 without keys, 0.0.0.0 with keys, by default).")
    var host: String?

    @Option(name: .long, help: "The port.")
    var port = 8080

    @Option(name: .long, help: "The content folder; watched, and reloaded when it changes.")
    var templates = "templates"

    @Option(name: .long, help: "The folder served at / (preview studio, embed script).")
    var `public` = "public"

    @Option(name: .long, help: "Where profiles, events and the ledger live: a SQLite file path, postgres://user:password@host/db, or memory.")
    var database = ".stagecraft/stagecraft.sqlite"

    @Option(name: .long, help: "The largest request body in bytes.")
    var bodyLimit = 1 << 20

    @Option(name: .long, help: "The most events in one batch.")
    var maxBatch = 1000

    @Option(name: .long, help: "Connections to PostgreSQL this instance may open.")
    var databaseConnections = 16

    @Option(name: .long, help: "Seconds a request waits for a PostgreSQL connection before it is answered 503 (store_unavailable, Retry-After).")
    var databaseTimeout = 5.0

    @Option(name: .long, help: "Seconds a request waits for PostgreSQL's answer once it has a connection before it is answered 503 (store_unavailable, Retry-After).")
    var databaseAnswerTimeout = 30.0

    @Option(name: .long, help: "Rows (events and interactions) of recently read users kept parsed in memory (on PostgreSQL, while other instances' changes are heard); 0 turns it off.")
    var cacheRows = 2_000_000

    @Option(name: .long, help: "Megabytes the parsed users kept in memory may take (an estimate of their traits, events and interactions); 0 turns the cache off.")
    var cacheMb = 256

    @Option(name: .long, help: "Seconds one request's renders may take before they stop with render_timeout; 0 for no deadline.")
    var renderTimeout = 2.0

    @Option(name: .long, help: "Threads that decide, render and check what is served (previews have their own); 0 for one per core.")
    var renderThreads = 0

    @Option(name: .long, help: "Render requests one NDJSON email stream may carry.")
    var streamLines = 10_000

    @Option(name: .long, help: "Seconds SIGTERM waits for requests in flight before cancelling them.")
    var gracePeriod = 10.0

    @Option(name: .long, help: "Connections open at once; more are closed on arrival (and logged). At most the file limit less 256.")
    var maxConnections = 4096

    @Option(name: .long, help: "Seconds a connection may go without a whole request (a slow header, an idle keep-alive) before it is closed.")
    var idleTimeout = 30.0

    @Option(name: .long, help: "Requests a publishable key may make on this instance (a site's visitors share it): 2000/s,burst=4000 by default; off for none.")
    var rateLimitPublishable = "2000/s,burst=4000"

    @Option(name: .long, help: "Requests with a publishable key one client address may make on this instance: 50/s,burst=200 by default; off for none.")
    var rateLimitAddress = "50/s,burst=200"

    @Option(name: .long, help: "Requests a secret key may make on this instance, like 500/s; off (the default) for none.")
    var rateLimitSecret = "off"

    @Option(name: .long, help: "Days events are kept (each user keeps at most the newest 5,000 besides); 0 keeps them whatever their age.")
    var retainEventsDays = 400.0

    @Option(name: .long, help: "Days an anonymous visitor not seen since is kept (profile, events, ledger); 0 keeps them.")
    var retainVisitorsDays = 90.0

    @Option(name: .long, help: "Seconds from the start of one pruning pass over the store, by any instance on the database, to the start of the next; 0 turns pruning off.")
    var pruneInterval = 3600.0

    @Option(name: .long, help: "Seconds from the start of one pass that puts every user in the stage the rules give them now (the moves time alone makes), by any instance on the database, to the start of the next; 0 turns it off.")
    var stageSweepInterval = 3600.0

    @Option(name: .long, help: "Seconds goal events wait to be attributed together with those that come meanwhile (fewer, larger writes); results requests attribute at once.")
    var attributionWait = 0.2

    @Flag(name: .long, help: "Behind a load balancer: the client address for rate limits is the last entry of X-Forwarded-For.")
    var trustForwardedFor = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var logger = Logger(label: "stagecraft")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let env = ProcessInfo.processInfo.environment
        func list(_ name: String) -> [String] {
            (env[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.templates = templates
        configuration.publicDirectory = self.public
        configuration.bodyLimit = bodyLimit
        configuration.maxBatch = maxBatch
        guard renderTimeout >= 0, gracePeriod >= 0, streamLines > 0, (0...256).contains(renderThreads) else {
            throw ValidationError("--render-timeout and --grace-period take seconds from 0 up, --stream-lines a count from 1 up, "
                + "--render-threads a count from 0 to 256")
        }
        if renderThreads > 0 { RenderPool.servingThreads = renderThreads }
        configuration.renderTimeout = renderTimeout > 0 ? .milliseconds(Int64(renderTimeout * 1000)) : nil
        configuration.maxStreamLines = streamLines
        configuration.gracePeriod = .milliseconds(Int64(gracePeriod * 1000))
        guard maxConnections > 0, idleTimeout > 0 else {
            throw ValidationError("--max-connections takes a count from 1 up, --idle-timeout seconds above 0")
        }
        configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        // Each connection is a file descriptor: raise the soft limit to the hard one, and keep room for the database,
        // content files and logs, so that the cap is reached before the process runs out of descriptors.
        let descriptors = raiseFileLimit()
        configuration.maxConnections = min(maxConnections, max(1, descriptors - 256))
        if configuration.maxConnections < maxConnections {
            logger.notice("--max-connections lowered to \(configuration.maxConnections): the file limit is \(descriptors)")
        }
        func rate(_ text: String, _ option: String) throws -> Rate? {
            guard text != "off" else { return nil }
            do { return try Rate(parsing: text) } catch { throw ValidationError("--\(option): \(error)") }
        }
        configuration.rateLimits.publishableKey = try rate(rateLimitPublishable, "rate-limit-publishable")
        configuration.rateLimits.address = try rate(rateLimitAddress, "rate-limit-address")
        configuration.rateLimits.secretKey = try rate(rateLimitSecret, "rate-limit-secret")
        configuration.rateLimits.trustForwardedFor = trustForwardedFor
        guard retainEventsDays >= 0, retainVisitorsDays >= 0, pruneInterval >= 0, stageSweepInterval >= 0,
              [retainEventsDays, retainVisitorsDays, pruneInterval, stageSweepInterval].allSatisfy({ $0.isFinite }) else {
            throw ValidationError("--retain-events-days, --retain-visitors-days, --prune-interval and --stage-sweep-interval take numbers from 0 up")
        }
        func duration(_ seconds: Double) -> Duration? { seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil }
        configuration.retention.eventAge = duration(retainEventsDays * 86_400)
        configuration.retention.visitorAge = duration(retainVisitorsDays * 86_400)
        configuration.retention.interval = duration(pruneInterval)
        configuration.stageSweep.interval = duration(stageSweepInterval)
        guard attributionWait >= 0, attributionWait <= 3600 else { throw ValidationError("--attribution-wait takes seconds from 0 to 3600") }
        configuration.attributionWait = .milliseconds(Int64(attributionWait * 1000))
        configuration.keys = AccessKeys(secretKeys: list("STAGECRAFT_SECRET_KEYS"), publishableKeys: list("STAGECRAFT_PUBLISHABLE_KEYS"),
                                        allowedOrigins: list("STAGECRAFT_ALLOWED_ORIGINS"))
        do {
            try configuration.check()
        } catch {
            throw ValidationError("\(error)")
        }

        let metrics = ServerMetrics()
        let content: ContentState
        do {
            content = try ContentState(directory: templates, logger: logger, metrics: metrics)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
        for warning in content.status.warnings { logger.warning("\(warning.description)") }

        let store: any Store
        var services: [any Service] = []
        /// The parsed-user cache in front of `base`, unless turned off (`--cache-rows 0` or `--cache-mb 0`).
        func cached(_ base: any Store, sharedWriters: Bool) -> CachedStore? {
            guard cacheRows > 0 && cacheMb > 0 else { return nil }
            return CachedStore(base, capacity: cacheRows, maxBytes: cacheMb << 20, eventLimit: configuration.eventLimit,
                               sharedWriters: sharedWriters)
        }
        var migrate: (@Sendable () async throws -> Void)?
        if database == "memory" {
            store = MemoryStore()
            logger.warning("database: memory; profiles, events and the ledger are lost when the server stops")
        } else if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            guard databaseConnections > 0, databaseTimeout > 0, databaseAnswerTimeout > 0 else {
                throw ValidationError("--database-connections takes a count from 1 up, --database-timeout and --database-answer-timeout seconds above 0")
            }
            let postgres = try PostgresStore(url: database, logger: logger, connections: databaseConnections,
                                             leaseTimeout: .milliseconds(Int64(databaseTimeout * 1000)),
                                             answerTimeout: .milliseconds(Int64(databaseAnswerTimeout * 1000)))
            services.append(PostgresPoolService(store: postgres))
            let log = logger
            migrate = {
                try await postgres.migrate()
                log.info("database: PostgreSQL, schema up to date")
            }
            // Other instances write too: the cache is used while their changes are heard (LISTEN).
            if let cache = cached(postgres, sharedWriters: true) {
                services.append(PostgresChangesService(store: postgres, cache: cache))
                store = cache
            } else {
                store = postgres
            }
        } else {
            let sqlite = try SQLiteStore(path: database)
            // This process is the file's only writer, so a write-through cache of parsed users is never stale.
            store = cached(sqlite, sharedWriters: false) ?? sqlite
            logger.info("database: SQLite at \(database)")
        }

        let server = APIServer(configuration: configuration, content: content, store: store, metrics: metrics, logger: logger)
        if configuration.keys.isOpen {
            logger.notice("no keys configured: listening on \(configuration.bindHost) only, and every call is let through; set STAGECRAFT_SECRET_KEYS to serve others")
        }
        // Said once the port is open (after PostgreSQL's migration), with the port bound (the system's choice for
        // --port 0): a server that cannot reach its database or bind its port says that instead.
        let serving = "serving \(content.current.content.messages.count) templates from \(templates) on http://\(configuration.bindHost):"
        let (log, asked) = (logger, port)
        let running: @Sendable (Int?) async -> Void = { bound in log.notice("\(serving)\(bound ?? asked)") }
        // SIGTERM and SIGINT stop accepting and let requests in flight finish; past the grace period they are
        // cancelled, and so are their renders.
        services.append(MemoryReturnService())
        var group = ServiceGroupConfiguration(services: [server.application(services: services, beforeStart: migrate, running: running)],
                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.gracePeriod
        try await ServiceGroup(configuration: group).run()
    }

    /// Raises this process's soft limit on open files to its hard limit; returns the limit in force.
    private func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}

/// Gives memory freed after a peak back to the system. glibc's malloc keeps what a process frees for reuse, and after
/// a large buffer is freed it raises its mmap threshold, so the next large ones (a render near its limits builds
/// arrays of millions of values) come from the heap and stay in the resident set after they are freed. A fixed
/// threshold sends buffers of 256 KB and more to mmap, given back when freed; a trim every 30 s returns the heap's
/// free pages. (Without glibc, both do nothing.)
struct MemoryReturnService: Service {
    init() {
        stagecraft_heap_mmap_threshold(256 << 10)
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: .seconds(30))
                    stagecraft_heap_trim()
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
