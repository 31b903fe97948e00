/// How long the renders of the current request may take, and whether their answer is still wanted.
///
/// The server binds one around each request's decide-render-check step; every render that step does (the winner,
/// its fallbacks, an email's parts, a tour's steps) ends with a `timeout` or `cancelled` ``LiquidError`` at the
/// tag or filter it was in once the deadline passes or `isCancelled` says so. Outside a binding (the command line,
/// `check`, the benchmarks) renders have no deadline and are bounded by their resource limits alone.
///
/// ```swift
/// let budget = RenderBudget(deadline: .now + .seconds(1))
/// let outcomes = RenderBudget.$current.withValue(budget) { delivery.deliver(.placement("home-hero"), to: user, history: history) }
/// ```
public struct RenderBudget: Sendable {
    public var deadline: ContinuousClock.Instant?
    public var isCancelled: (@Sendable () -> Bool)?

    public init(deadline: ContinuousClock.Instant? = nil, isCancelled: (@Sendable () -> Bool)? = nil) {
        self.deadline = deadline
        self.isCancelled = isCancelled
    }

    /// The budget of the renders running in this task (or, outside a task, on this thread).
    @TaskLocal public static var current = RenderBudget()
}
