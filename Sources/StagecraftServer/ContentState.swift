import Content
import Delivery
import Diagnostics
import Foundation
import Logging
import Personalization
import ServiceLifecycle
import Storage
import Synchronization

/// One loaded content set and the files it came from; immutable, shared by every request that started while
/// it was current.
public final class LoadedContent: Sendable {
    public let delivery: DeliveryContent
    /// The files' texts by relative path (previews of edited templates load a copy with one file changed).
    public let files: [String: String]
    /// Counts loads since start; the first is 1.
    public let generation: Int
    /// The campaigns' goals by event name: what arriving events are counted for.
    public let goals: GoalIndex

    init(delivery: DeliveryContent, files: [String: String], generation: Int) {
        self.delivery = delivery
        self.files = files
        self.generation = generation
        goals = GoalIndex(delivery.content.campaigns)
    }

    public var content: ContentSet { delivery.content }
}

/// What the last reload did, for `/v1/content/status`.
public struct ReloadStatus: Sendable {
    public var loadedAt: Date
    public var generation: Int
    public var lastAttempt: Date
    /// Nil when the last attempt loaded; else why it was refused (the previous content kept serving).
    public var refused: [Diagnostic]?
    public var warnings: [Diagnostic]
}

/// The content being served, swapped whole and atomically when the folder changes and loads cleanly.
public final class ContentState: Sendable {
    public let directory: String
    /// The filters and tags the templates may use besides the standard ones.
    public let extensions: LiquidExtensions
    private struct State {
        var content: LoadedContent
        var status: ReloadStatus
    }

    private let state: Mutex<State>
    private let logger: Logger
    private let metrics: ServerMetrics?

    /// Loads `directory`; a folder that does not load stops the start (there is nothing good to serve yet).
    public init(directory: String, extensions: LiquidExtensions = LiquidExtensions(), logger: Logger,
                metrics: ServerMetrics? = nil) throws(ContentError)
    {
        self.directory = directory
        self.extensions = extensions
        self.logger = logger
        self.metrics = metrics
        let now = Date()
        let (delivery, files) = try Self.load(directory, extensions: extensions)
        let loaded = LoadedContent(delivery: delivery, files: files, generation: 1)
        state = Mutex(State(content: loaded, status: ReloadStatus(loadedAt: now, generation: 1, lastAttempt: now, refused: nil,
                                                                  warnings: delivery.content.warnings)))
    }

    static func load(_ directory: String, extensions: LiquidExtensions) throws(ContentError) -> (DeliveryContent, [String: String]) {
        let (files, issues) = try ContentSet.readFiles(directory: directory)
        let delivery = try DeliveryContent.load(files: files, directory: directory, issues: issues, extensions: extensions)
        // A folder with nothing to serve is a mistake (a wrong path, a checkout in progress, files that could not be
        // read), not content: serving it would answer 404 everywhere while saying all is well.
        guard !delivery.content.messages.isEmpty else {
            throw ContentError([Diagnostic(.error, .content, "no templates in \(directory) (no .liquid file with front matter): nothing to serve", file: directory, line: 1, column: 1)])
        }
        // What would fail for a sample user fails the load, as `stagecraft check` would: served, it would quietly be
        // replaced by the next block or the default.
        let failures = delivery.sampleFailures(at: delivery.loadedAt)
        if !failures.isEmpty { throw ContentError(failures) }
        return (delivery, files)
    }

    /// The content made ready to serve from file texts (a preview of edited source), with this state's extensions.
    func load(files: [String: String]) throws(ContentError) -> DeliveryContent {
        try DeliveryContent.load(files: files, directory: directory, extensions: extensions)
    }

    /// The content to serve this request with.
    public var current: LoadedContent { state.withLock { $0.content } }

    public var status: ReloadStatus { state.withLock { $0.status } }

    /// ``reload()`` on the preview threads: a load renders every message for every sample profile, work that must
    /// not hold the threads requests are handled on.
    @discardableResult
    public func reloadOffTheEventLoops() async throws -> Bool {
        try await RenderPool.previews.run(timeout: nil) { self.reload() }
    }

    /// Loads the folder again; swaps it in when it loads, else keeps what is served and records why.
    @discardableResult
    public func reload() -> Bool {
        let now = Date()
        do {
            let (delivery, files) = try Self.load(directory, extensions: extensions)
            let generation = state.withLock { s in
                let g = s.content.generation + 1
                s.content = LoadedContent(delivery: delivery, files: files, generation: g)
                s.status = ReloadStatus(loadedAt: now, generation: g, lastAttempt: now, refused: nil,
                                        warnings: delivery.content.warnings)
                return g
            }
            metrics?.count("content_reloads", [("result", "ok")])
            logger.info("content reloaded", metadata: ["generation": "\(generation)", "messages": "\(delivery.content.messages.count)"])
            return true
        } catch {
            state.withLock { s in
                s.status.lastAttempt = now
                s.status.refused = error.diagnostics
            }
            metrics?.count("content_reloads", [("result", "refused")])
            logger.error("content change refused; the last good content keeps serving",
                         metadata: ["errors": "\(error.diagnostics.errors.count)"])
            for d in error.diagnostics.errors { logger.error("\(d.description)") }
            return false
        }
    }
}

/// Watches the content folder: every `interval` it compares the files' names, sizes and modification times,
/// and reloads once a change has settled (the same on two looks in a row, so a half-saved set of files is not
/// loaded).
public struct ContentWatcher: Service {
    let state: ContentState
    let interval: Duration

    public init(state: ContentState, interval: Duration = .seconds(1)) {
        self.state = state
        self.interval = interval
    }

    public func run() async throws {
        var served = Self.fingerprint(state.directory)
        var seen = served
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let now = Self.fingerprint(state.directory)
            if now != served, now == seen {
                try await state.reloadOffTheEventLoops()
                served = now
            }
            seen = now
        }
    }

    /// Names, sizes and modification times of every file under the folder (hidden ones skipped).
    static func fingerprint(_ directory: String) -> [String] {
        let root = URL(fileURLWithPath: directory, isDirectory: true)
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey]
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles]) else {
            return []
        }
        var entries: [String] = []
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true else { continue }
            let stamp = values.contentModificationDate?.timeIntervalSince1970 ?? 0
            entries.append("\(url.path)\u{1}\(values.fileSize ?? -1)\u{1}\(stamp)")
        }
        return entries.sorted()
    }
}
