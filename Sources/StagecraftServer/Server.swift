import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Liquid
import Logging
import Personalization
import ServiceLifecycle
import Storage

/// How a server runs; `stagecraft serve` fills it from options and the environment.
public struct ServerConfiguration: Sendable {
    /// Nil: 127.0.0.1 when no keys are configured, else every interface.
    public var host: String?
    public var port = 8080
    public var templates = "templates"
    /// Served at `/`; nil serves nothing.
    public var publicDirectory: String? = "public"
    public var keys = AccessKeys()
    /// Largest request body, in bytes.
    public var bodyLimit = 1 << 20
    /// Most events in one `POST /v1/events` batch.
    public var maxBatch = 1000
    /// Events read per user for deciding (the latest ones).
    public var eventLimit = 5000
    public var reloadInterval: Duration = .seconds(1)
    /// How long a browser may keep a block before asking again, in seconds (the answer's `ttl`).
    public var blockTTL = 60
    /// How long one request's decide-render-check step may take; past it the render stops with `render_timeout`.
    public var renderTimeout: Duration? = .seconds(2)
    /// Render requests one NDJSON email stream may carry; past them the stream ends with an error line.
    public var maxStreamLines = 10_000
    /// How long SIGTERM waits for requests in flight before cancelling them (and their renders).
    public var gracePeriod: Duration = .seconds(10)
    /// Connections open at once; more are closed on arrival, with a log line.
    public var maxConnections = 4096
    /// How long a connection may stay without a whole request (a header sent slowly, an idle keep-alive).
    public var idleTimeout: Duration = .seconds(30)
    /// Requests per publishable key, client address and (when set) secret key; past them a 429 problem.
    public var rateLimits = RateLimits()
    /// How long events and anonymous visitors are kept, and how often the store is pruned.
    public var retention = RetentionSettings()
    /// How often every user's stage is evaluated again, for the moves time alone makes.
    public var stageSweep = StageSweepSettings()
    /// How long goal events wait to be attributed together with those that come meanwhile (a results request
    /// attributes what is queued at once, whatever this is).
    public var attributionWait: Duration = .milliseconds(200)

    public init() {}

    /// The address to bind.
    public var bindHost: String { host ?? (keys.isOpen ? "127.0.0.1" : "0.0.0.0") }

    /// A configuration that would expose an unprotected server, refused at start.
    public func check() throws {
        if keys.isOpen, let host, !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw ServerError("refusing to listen on \(host) with no keys configured: set STAGECRAFT_SECRET_KEYS (and "
                + "STAGECRAFT_PUBLISHABLE_KEYS for browsers), or listen on 127.0.0.1")
        }
        if !keys.publishableKeys.isEmpty, keys.secretKeys.isEmpty {
            throw ServerError("publishable keys need at least one secret key: identity hashes are made with it")
        }
    }
}

public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The request path and its collaborators: content, store, keys, metrics.
public struct APIServer: Sendable {
    public let configuration: ServerConfiguration
    public let content: ContentState
    public let store: any Store
    public let metrics: ServerMetrics
    public let logger: Logger
    /// The clock requests are decided at (tests pin it).
    public let clock: @Sendable () -> Date
    let connections: Connections
    let limiters: RateLimiters
    let observations = Observations()
    let attributor: Attributor

    public init(configuration: ServerConfiguration, content: ContentState, store: any Store, metrics: ServerMetrics,
                logger: Logger, clock: @escaping @Sendable () -> Date = Date.init)
    {
        self.configuration = configuration
        attributor = Attributor(wait: configuration.attributionWait)
        self.content = content
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        connections = Connections(limit: configuration.maxConnections, metrics: metrics, logger: logger)
        limiters = RateLimiters(configuration.rateLimits)
    }

    /// The key check (and rate limits) in front of a group of routes.
    func keyCheck(_ access: KeyMiddleware.Access) -> KeyMiddleware {
        KeyMiddleware(keys: configuration.keys, access: access, limiters: limiters, metrics: metrics)
    }

    /// Runs a request's decide-render-check step on the render threads, within the configured render timeout, and
    /// stops it when the request's client goes away.
    func rendering<T: Sendable>(_ context: StagecraftRequestContext, on pool: RenderPool = .shared,
                                _ work: @escaping @Sendable () throws -> T) async throws -> T
    {
        let presence = connections.presence(of: context.channel)
        return try await pool.run(timeout: configuration.renderTimeout, alsoStopWhen: { presence?.hasGone == true }, work)
    }

    /// Every route, under the CORS, error and metrics middleware; the files of `public/` last.
    public func router() -> Router<StagecraftRequestContext> {
        let router = Router(context: StagecraftRequestContext.self)
        // CORS outermost: it sees every answer after ProblemMiddleware has made errors into problems, so an
        // allowed page can read the error as well as the success.
        router.add(middleware: CORSMiddleware(keys: configuration.keys))
        // The routes as a table, for a wrong method on a known path to be a 405 naming the right ones.
        let probe = Router(context: StagecraftRequestContext.self)
        addRoutes(to: probe)
        let routes = RouteTable(probe.routes.map { (path: $0.path.components.map(\.description), method: $0.method) })
        router.add(middleware: ProblemMiddleware(logger: logger, routes: routes))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        addRoutes(to: router)
        if let folder = configuration.publicDirectory, FileManager.default.fileExists(atPath: folder) {
            router.add(middleware: PublicHeadersMiddleware())
            router.add(middleware: PublicFilesGuard(folder: folder))
            router.add(middleware: FileMiddleware(folder, searchForIndexHtml: true, logger: logger))
        }
        return router
    }

    /// The application: HTTP server plus the content watcher (and whatever else `services` brings, such as the
    /// PostgreSQL pool), stopped gracefully on SIGTERM/SIGINT with requests in flight finished.
    /// `beforeStart` runs once the services are up and before the port opens (database migrations); `running` once
    /// the port is open, with the port bound (the one asked for, or the system's choice for port 0).
    public func application(services: [any Service] = [], beforeStart: (@Sendable () async throws -> Void)? = nil,
                            running: (@Sendable (_ port: Int?) async -> Void)? = nil) -> some ApplicationProtocol {
        let address = BindAddress.hostname(configuration.bindHost, port: configuration.port)
        let connections = connections
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [connections.handler()],
                                              idleTimeout: TimeAmount(configuration.idleTimeout))
        var app = Application(router: router(), server: .http1(configuration: http),
                              configuration: ApplicationConfiguration(address: address, serverName: "Stagecraft"),
                              services: services, onServerRunning: { channel in await running?(channel.localAddress?.port) },
                              logger: logger)
        app.addServices(ContentWatcher(state: content, interval: configuration.reloadInterval), ResultsService(api: self))
        if configuration.retention.interval != nil {
            app.addServices(RetentionService(store: store, settings: configuration.retention, eventsPerUser: configuration.eventLimit,
                                             metrics: metrics, logger: logger, clock: clock))
        }
        if configuration.stageSweep.interval != nil { app.addServices(StageSweep(api: self, settings: configuration.stageSweep)) }
        if let beforeStart { app.beforeServerStarts(perform: beforeStart) }
        return app
    }
}

/// Every error becomes a problem document: the router's own (404, 405...) as well as unexpected ones, which are
/// logged with the request and answered without internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                guard allowed.isEmpty else {
                    var p = Problem(.methodNotAllowed, "method_not_allowed",
                                    "\(request.method.rawValue) is not allowed on \(request.uri.path); it takes " + allowed.joined(separator: ", "))
                    p.headers[.allow] = allowed.joined(separator: ", ")
                    throw p
                }
                throw Problem.notFound("not_found", "no route \(request.method.rawValue) \(request.uri.path); the API is described at /openapi.json")
            case .contentTooLarge:
                throw Problem(.contentTooLarge, "body_too_large", error.body ?? "the body is too large")
            case .methodNotAllowed:
                throw Problem(.methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed on \(request.uri.path)")
            default:
                throw Problem(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        } catch let error as any HTTPResponseError {
            throw Problem(error.status, error.status == .contentTooLarge ? "body_too_large" : "http_error",
                          error.status == .contentTooLarge ? "the body is too large" : error.status.reasonPhrase)
        } catch is CancellationError {
            throw Problem(.serviceUnavailable, "shutting_down", "the server is stopping; try again")
        } catch let error as StoreUnavailable {
            throw Problem.unavailable(error)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            throw Problem(.internalServerError, "internal_error", "the server could not answer; the error is logged")
        }
    }
}

/// Every route's path pattern and method, to say which methods a path takes.
struct RouteTable: Sendable {
    let routes: [(path: [String], method: HTTPRequest.Method)]

    init(_ routes: [(path: [String], method: HTTPRequest.Method)]) { self.routes = routes }

    /// The methods of the routes whose pattern matches `path` (`{name}` and `*` match one segment, `**` the rest).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        func matches(_ pattern: [String]) -> Bool {
            for (i, element) in pattern.enumerated() {
                if element == "**" { return i < segments.count }
                guard i < segments.count else { return false }
                if element == "*" || (element.hasPrefix("{") && element.hasSuffix("}")) { continue }
                if element != segments[i] { return false }
            }
            return pattern.count == segments.count
        }
        var methods: [String] = []
        for route in routes where matches(route.path) && !methods.contains(route.method.rawValue) {
            methods.append(route.method.rawValue)
        }
        return methods.sorted()
    }
}

/// What may be read from `public/`: a path with a NUL (`%00`, which would cut the file name short) or invalid
/// percent-encoding is a 400; a file reached through a link that leads out of the folder is not there (404).
struct PublicFilesGuard<Context: RequestContext>: RouterMiddleware {
    /// The folder, with its own links resolved.
    let root: String

    init(folder: String) {
        root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().standardizedFileURL.path
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let raw = request.uri.path
        guard !raw.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let path = raw.removingPercentEncoding, !path.unicodeScalars.contains("\0") else {
            throw Problem(.badRequest, "invalid_path", "the path is not valid percent-encoded UTF-8 without NUL characters")
        }
        let file = URL(fileURLWithPath: root + path).resolvingSymlinksInPath().standardizedFileURL.path
        guard file == root || file.hasPrefix(root + "/") else {
            throw Problem.notFound("not_found", "no file \(path)")
        }
        return try await next(request, context)
    }
}

/// Headers for the files of `public/`. The studio holds a secret key, so its page may not be framed by another site
/// and loads scripts from this server only; the previews it shows are sandboxed frames inside it (their styles and
/// images are the template's own, so those may come from anywhere). No file is sniffed as another type.
struct PublicHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Every page of `public/`, the studio and the demo site alike: this server's scripts only (none inline), its
    /// API only, not framed by anyone, so nothing an address or a block brings can run, be fetched from elsewhere
    /// or be overlaid. Chosen by what is answered (any HTML), not by how its path is written (`/index%2Ehtml`).
    static var pagePolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data: blob:; font-src * data:; "
            + "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard !request.uri.path.hasPrefix("/v1/") else { return response }
        response.headers[.xContentTypeOptions] = "nosniff"
        let type = response.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("text/html") {
            response.headers[.contentSecurityPolicy] = Self.pagePolicy
            response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
            response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            response.headers[.cacheControl] = "no-cache"
        } else if type.contains("javascript") || type.hasPrefix("text/css") {
            // The embed script on customers' pages: fresh within minutes of a deploy, revalidated after.
            response.headers[.cacheControl] = "public, max-age=300"
        }
        return response
    }
}
