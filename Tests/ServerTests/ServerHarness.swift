import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Logging
import Personalization
import StagecraftServer
import Storage
import Testing

/// A content folder written for the server tests: two placements with a winner, a campaign whose output is
/// broken HTML, a default; an email; a tour with a step for admins only; a survey.
enum Fixture {
    static let files: [String: String] = [
        "stages.yml": """
            rules:
              - stage: revenue
                when: { user.plan: trial }
            fallback: activation
            """,
        "globals.yml": """
            brand: { name: Northwind }
            """,
        "email.yml": """
            unsubscribe: "https://northwind.example/u?id={{ user.id | url_encode }}"
            """,
        "banners/hero.liquid": """
            ---
            campaign: hero-main
            channel: banner
            placement: home-hero
            priority: 10
            ---
            <section class="hero"><h2>Hello, {{ user.name | default: "there" }}</h2><p>Stage {{ stage }}</p></section>
            """,
        "banners/hero-broken.liquid": """
            ---
            campaign: hero-broken
            channel: banner
            placement: home-hero
            priority: 20
            audience: { user.beta: true }
            ---
            <p>Beta <div>block in a paragraph</div></p>
            """,
        "banners/hero-default.liquid": """
            ---
            campaign: hero-house
            channel: banner
            placement: home-hero
            default: true
            ---
            <section class="hero"><h2>Welcome to {{ brand.name }}</h2></section>
            """,
        "banners/side.liquid": """
            ---
            campaign: side-trial
            channel: banner
            placement: sidebar
            stages: [revenue]
            ---
            <aside>{{ user.trial_days_left }} days left</aside>
            """,
        "emails/trial.liquid": """
            ---
            campaign: trial-ending
            channel: email
            stages: [revenue]
            subject: "{{ user.name | default: 'Hi' }}, your trial ends soon"
            preheader: "Keep your projects"
            ---
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Trial</title></head>
            <body><h1>Hi {{ user.name }}</h1><p>Your trial ends in {{ user.trial_days_left }} days.</p>
            <p><a href="https://northwind.example/upgrade">Upgrade</a></p></body></html>
            """,
        "tours/setup.liquid": """
            ---
            campaign: setup-tour
            channel: tour
            steps:
              - { target: "#new-project", position: bottom, title: "Create a project", body: "Start here, {{ user.name }}" }
              - { target: "#billing", position: left, title: "Billing", body: "Plans and invoices", audience: { user.role: admin } }
            ---
            <div class="tour-step"><h3>{{ step.title }}</h3><p>{{ step.body }}</p><span>{{ step.number }}/{{ step.count }}</span></div>
            """,
        "surveys/nps.liquid": """
            ---
            campaign: nps
            channel: survey
            placement: footer
            question: "How likely are you to recommend us?"
            scale: nps
            ---
            <form class="nps"><p>{{ survey.question }}</p>{% for c in survey.choices %}<button name="score" value="{{ c.value }}">{{ c.label }}</button>{% endfor %}</form>
            """,
    ]

    /// Writes the files into a new folder and returns its path.
    static func folder(_ files: [String: String] = files) throws -> String {
        let root = scratchFolder.appendingPathComponent("content-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root.path
    }
}

/// This test process's scratch folder, removed when the process exits: test files go in it, not loose in /tmp.
let scratchFolder: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-tests-\(getpid())")
    atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-tests-\(getpid())")) }
    return url
}()

let fixedNow = Timestamp.parse("2026-11-23T10:00:00Z")!

/// A server over the fixture content and a memory store (or the one given), with optional keys.
struct Harness {
    let server: APIServer
    let store: any Store
    let folder: String

    /// - Parameter folder: a content folder to serve instead of one written from `files`.
    init(keys: AccessKeys = AccessKeys(), store: (any Store)? = nil, files: [String: String] = Fixture.files, folder: String? = nil,
         bodyLimit: Int = 1 << 20, maxBatch: Int = 1000, publicDirectory: String? = nil,
         renderTimeout: Duration? = .seconds(2), maxStreamLines: Int = 10_000, maxConnections: Int = 4096,
         idleTimeout: Duration = .seconds(30), rateLimits: RateLimits = RateLimits()) throws
    {
        let folder = try folder ?? Fixture.folder(files)
        self.folder = folder
        var configuration = ServerConfiguration()
        configuration.templates = folder
        configuration.publicDirectory = publicDirectory
        configuration.keys = keys
        configuration.bodyLimit = bodyLimit
        configuration.maxBatch = maxBatch
        configuration.renderTimeout = renderTimeout
        configuration.maxStreamLines = maxStreamLines
        configuration.maxConnections = maxConnections
        configuration.idleTimeout = idleTimeout
        configuration.rateLimits = rateLimits
        // No pruning in the background of tests (their clock is pinned); RetentionTests runs passes itself.
        configuration.retention.interval = nil
        configuration.stageSweep.interval = nil
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let metrics = ServerMetrics()
        let content = try ContentState(directory: folder, logger: logger, metrics: metrics)
        let store = store ?? MemoryStore()
        self.store = store
        server = APIServer(configuration: configuration, content: content, store: store, metrics: metrics, logger: logger,
                           clock: { fixedNow })
    }

    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = Application(router: server.router())
        return try await app.test(.router) { client in try await body(client) }
    }

    /// The whole application on a real socket (HummingbirdTesting's live mode), connection handling included.
    func live<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await server.application().test(.live) { client in try await body(client) }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: LiquidObject {
        (try? JSON.parse(text))?.objectValue ?? LiquidObject()
    }

    /// The problem document's `code` (and a check that it is one).
    var problemCode: String? {
        guard headers[.contentType] == "application/problem+json" else { return nil }
        return json["code"]?.stringValue
    }
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

let jsonHeaders: HTTPFields = [.contentType: "application/json"]
