import Delivery
import NIOCore
import NIOPosix
import Synchronization

/// The threads that decide, render and check, apart from the event loops and Swift's cooperative pool.
///
/// A request's handler awaits its render here, so a render that runs long holds a render thread and nothing else:
/// `/healthz`, profile writes and every other request keep being read, answered and timed out as usual. Each
/// render runs under a ``RenderBudget``: a deadline from when it was handed over (time spent waiting for a thread
/// counts, so an overloaded server sheds work instead of queueing it without end), and cancelled when the
/// request's task is (the server's grace period after SIGTERM ran out) or its client has gone.
public final class RenderPool: Sendable {
    /// One per process, made when first used with ``servingThreads`` threads.
    public static let shared = RenderPool(threads: servingThreads)

    /// The serving pool's threads: one per core (renders are CPU work, more threads would only take turns), unless
    /// set (`serve --render-threads`) before the pool is first used, when the server starts.
    public static var servingThreads: Int {
        get {
            let set = configuredThreads.load(ordering: .relaxed)
            return set > 0 ? set : System.coreCount
        }
        set { configuredThreads.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let configuredThreads = Atomic(0)

    /// Previews of edited templates, and content reloads, which may be anything a person writes: a pool of their own
    /// (half the cores, beside the serving pool), so that a template written to run for its whole deadline delays
    /// other previews, never what users are served.
    public static let previews = RenderPool(threads: max(1, System.coreCount / 2))

    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `work` on a render thread within `timeout` (none when nil), and returns what it returns.
    /// - Parameter stop: asked at each of the render's checkpoints besides the task's cancellation (the client left).
    public func run<T: Sendable>(timeout: Duration?, alsoStopWhen stop: (@Sendable () -> Bool)? = nil,
                                 _ work: @escaping @Sendable () throws -> T) async throws -> T
    {
        let cancelled = CancellationFlag()
        let budget = RenderBudget(deadline: timeout.map { .now + $0 }, isCancelled: { cancelled.isSet || stop?() == true })
        return try await withTaskCancellationHandler {
            try await pool.runIfActive { try RenderBudget.$current.withValue(budget) { try work() } }
        } onCancel: {
            cancelled.set()
        }
    }
}

/// Set once from any thread, read by the render it belongs to at each of its checkpoints.
final class CancellationFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}
