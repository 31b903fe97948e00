import Foundation

/// How a template renders: strictness, escaping, time zone and limits.
public struct RenderOptions: Sendable {
    /// An undefined variable is an error naming its full path, such as `user.profile.first_nme`.
    public var strictVariables = false
    /// Under `strictVariables`, top-level names whose missing fields are not errors (data that is optional by
    /// nature, such as a user's profile traits): `user.nickname` renders as nothing when `user` is one of these
    /// and has no `nickname`, while `usr.name` or `brand.nmae` are still errors.
    public var optionalFieldRoots: Set<String> = []
    /// An unknown filter is an error instead of passing its input through.
    public var strictFilters = false
    /// HTML-escape every output unless it went through `escape`, `escape_once` or `raw`.
    public var autoescape = false
    /// The zone dates are shown in by `date` when the call names none; `nil` keeps each time's own offset (UTC for timestamps), as Shopify does.
    public var timeZone: TimeZone?
    /// What `"now"` means to the `date` filter; the real clock when `nil`.
    public var now: Date?
    /// Variables every template and partial can see, below the render's own data.
    public var globals: LiquidObject?
    public var limits = ResourceLimits()
    /// When the render must be over: past it, the render ends with a ``LiquidError`` of kind `timeout` at the
    /// tag or filter it was in. Checked as the render charges its work, so within a few milliseconds of passing.
    public var deadline: ContinuousClock.Instant?
    /// Asked as often as the deadline: `true` ends the render with a ``LiquidError`` of kind `cancelled` (the client
    /// went away, the server is stopping).
    public var isCancelled: (@Sendable () -> Bool)?
    /// What the application rendering the template gives its own filters and tags for this render (the user's
    /// locale and the content's translations, say); they read it as ``Context/host``.
    public var host: (any AnyObject & Sendable)?

    public init(strictVariables: Bool = false, strictFilters: Bool = false, autoescape: Bool = false,
                timeZone: TimeZone? = nil, now: Date? = nil, globals: LiquidObject? = nil,
                limits: ResourceLimits = ResourceLimits())
    {
        self.strictVariables = strictVariables
        self.strictFilters = strictFilters
        self.autoescape = autoescape
        self.timeZone = timeZone
        self.now = now
        self.globals = globals
        self.limits = limits
    }
}

/// Bounds that end a render with a ``LiquidError`` of kind `resourceLimit` instead of exhausting the machine.
public struct ResourceLimits: Sendable {
    /// Bytes of output one render may produce.
    public var maxOutputBytes = 8 << 20
    /// Loop iterations (`for`, `tablerow`, `render ... for`) across one render and its partials.
    public var maxLoopIterations = 1_000_000
    /// Nesting of `render` and `include`.
    public var maxRenderDepth = 64
    /// Nesting of blocks being rendered (`if`, `for`, ... bodies), counted across partials; bounds stack use.
    public var maxNestingDepth = 160
    /// Bytes of template source accepted by the parser.
    public var maxTemplateBytes = 1 << 20
    /// Bytes of one string value produced by a filter.
    public var maxStringBytes = 8 << 20
    /// Bytes assigned by `assign` and `capture` across one render.
    public var maxAssignedBytes = 64 << 20
    /// Work across one render and its partials: the bytes and items each filter reads and writes, the bytes each
    /// comparison and `size` reads, and one per loop turn. A loop that splits a megabyte string a thousand times
    /// passes it; the sample content's largest email uses under a hundred thousand.
    public var maxWork = 100_000_000

    public init() {}
}

/// How forgiving the parser is, as Shopify's `error_mode`.
public enum ErrorMode: String, Sendable {
    /// Reject any markup the grammar does not accept.
    case strict
    /// Accept what Shopify's lax parser accepts, ignoring stray characters.
    case lax
}
