import Foundation

/// The state of one render: variables in scope, counters, cycle positions, limits.
///
/// A context lives for one render on one thread; templates themselves are immutable and shared.
public final class Context {
    /// Local scopes; the outermost is where `assign` and `capture` write.
    var scopes: ScopeStack
    /// The render's input data; `increment` and `decrement` keep their counters here, as Shopify does.
    var environment: LiquidObject
    /// What a render and its partials share: options, environment, counters.
    let state: RenderState
    var options: RenderOptions { _read { yield state.options } }
    var engine: Environment { state.engine }
    /// Nesting of `render`/`include` above this context.
    var depth: Int
    /// Whether `include` is refused (inside a `render`ed partial).
    let isolated: Bool

    /// State of `cycle`, `for ... offset: continue` and `ifchanged`, made on first use.
    final class Registers {
        var cycles: [String: Int] = [:]
        var forOffsets: [String: Int] = [:]
        var lastIfChanged: [UInt8]?
    }

    private var madeRegisters: Registers?
    var registers: Registers {
        if let made = madeRegisters { return made }
        let made = Registers()
        madeRegisters = made
        return made
    }
    var interrupt: Interrupt?
    var forStack: [ForloopDrop] = []

    enum Interrupt { case breakLoop, continueLoop }

    init(data: LiquidObject, state: RenderState, depth: Int = 0, isolated: Bool = false) {
        self.scopes = ScopeStack()
        self.environment = data
        self.state = state
        self.depth = depth
        self.isolated = isolated
    }

    /// A context for a `render`ed partial: only the given variables, the same limits.
    func isolatedChild(_ variables: ScopeStack) -> Context {
        let child = Context(data: LiquidObject(), state: state, depth: depth + 1, isolated: true)
        child.scopes = variables
        return child
    }

    /// What the application gave this render for its filters and tags (``RenderOptions/host``).
    public var host: (any AnyObject & Sendable)? { options.host }
    /// Whether outputs are HTML-escaped (``RenderOptions/autoescape``): a filter that builds markup escapes what it
    /// inserts when so.
    public var isEscaping: Bool { options.autoescape }
    /// Whether an undefined variable is an error (``RenderOptions/strictVariables``): a filter that cannot find
    /// what it was asked for (a translation) throws then, and prints a placeholder otherwise.
    public var isStrict: Bool { options.strictVariables }
    /// The zone times are shown in (``RenderOptions/timeZone``), nil for each time's own.
    public var timeZone: TimeZone? { options.timeZone }
    /// What "now" is for this render (``RenderOptions/now``, else the clock).
    public var now: Date { options.now ?? Date() }

    /// A value read as a time the way the `date` filter reads one: `"now"`, a Unix time (a number or digits), or
    /// a date and time as text (in the render's zone when it names none); nil for anything else.
    public func time(from value: Value) -> Date? {
        guard let t = DateFilter.toTime(value, context: self, zone: options.timeZone) else { return nil }
        return Date(timeIntervalSince1970: Double(t.seconds) + Double(t.nanoseconds) / 1e9)
    }

    // MARK: Variables

    @inline(__always)
    func find(_ name: String) -> Value? {
        if let v = scopes.lookup(name) { return v }
        if let v = environment[name] { return v }
        return options.globals?[name]
    }

    /// Sets a variable in the outermost scope, as `assign` does.
    func assign(_ name: String, _ value: Value) throws(LiquidError) {
        try state.charge(assigned: value, limits: options.limits)
        scopes.setOutermost(name, value)
    }

    /// Sets a variable in the innermost scope (loop variables).
    @inline(__always)
    func setLocal(_ name: String, _ value: Value) {
        scopes.setInnermost(name, value)
    }

    func pushScope() { scopes.push() }
    func popScope() { scopes.pop() }

    // MARK: Evaluation

    func evaluate(_ expression: Expression) throws(LiquidError) -> Value {
        switch expression {
        case .literal(let v): return v
        case .variable(let lookup): return try resolve(lookup)
        case .range(let lo, let hi, let offset):
            let a = try evaluate(lo), b = try evaluate(hi)
            guard let lower = try rangeBound(a), let upper = try rangeBound(b) else {
                throw LiquidError.argument("invalid integer").located(at: offset)
            }
            return .clampedRange(lower, upper)
        }
    }

    private func rangeBound(_ v: Value) throws(LiquidError) -> Int? {
        if let i = v.rangeBound { return i }
        if case .double(let d) = v, d.isFinite { return d.saturatingInt }
        return nil
    }

    func resolve(_ lookup: VariableLookup) throws(LiquidError) -> Value {
        var current: Value
        switch lookup.root {
        case .name(let name):
            guard let v = find(name) else { return try undefined(lookup) }
            current = v
        case .expression(let e):
            let key = try evaluate(e)
            guard case .string(let name) = key, let v = find(name) else {
                if case .string = key { return try undefined(lookup) }
                return .null
            }
            current = v
        }
        for segment in lookup.path {
            switch segment {
            case .key(let key):
                if let next = Self.property(of: current, key) {
                    // A string's `size` counts its characters.
                    if case .string(let s) = current { try state.charge(work: s.utf8.count) }
                    current = next
                } else {
                    if case .object = current { return try undefined(lookup) }
                    return .null
                }
            case .index(let e):
                let key = try evaluate(e)
                if let next = Self.index(current, key) {
                    current = next
                } else {
                    if case .object = current, case .string = key { return try undefined(lookup) }
                    return .null
                }
            }
        }
        return current
    }

    private func undefined(_ lookup: VariableLookup) throws(LiquidError) -> Value {
        if options.strictVariables {
            if !options.optionalFieldRoots.isEmpty, !lookup.path.isEmpty, case .name(let root) = lookup.root,
               options.optionalFieldRoots.contains(root), find(root) != nil
            {
                return .null
            }
            throw LiquidError(.undefinedVariable, "undefined variable \(lookup.dottedName)", offset: lookup.offset)
        }
        return .null
    }

    /// `value.key`, including the `size`, `first` and `last` commands.
    static func property(of value: Value, _ key: String) -> Value? {
        switch value {
        case .object(let o):
            if let v = o[key] { return v }
            switch key {
            case "size": return .int(o.count)
            case "first":
                guard let k = o.keys.first else { return .null }
                return .array([.string(k), o.values[0]])
            default: return nil
            }
        case .array(let a):
            switch key {
            case "size": return .int(a.count)
            case "first": return a.first ?? .null
            case "last": return a.last ?? .null
            default: return nil
            }
        case .string(let s):
            return key == "size" ? .int(s.unicodeScalars.count) : nil
        case .range(let lo, let hi):
            switch key {
            case "size": return .int(max(0, hi - lo + 1))
            case "first": return .int(lo)
            case "last": return .int(hi)
            default: return nil
            }
        case .drop(let d):
            return d.value(forKey: key)
        default:
            return nil
        }
    }

    /// `value[key]`.
    static func index(_ value: Value, _ key: Value) -> Value? {
        switch (value, key) {
        case (.object(let o), .string(let k)): return o[k]
        case (.array(let a), .int(let i)):
            let j = i < 0 ? a.count + i : i
            return j >= 0 && j < a.count ? a[j] : nil
        case (.array(let a), .double(let d)) where d.isFinite:
            let i = d.saturatingInt
            let j = i < 0 ? a.count + i : i
            return j >= 0 && j < a.count ? a[j] : nil
        case (.drop(let d), .string(let k)): return d.value(forKey: k)
        case (.range(let lo, let hi), .int(let i)):
            let n = hi - lo + 1
            let j = i < 0 ? n + i : i
            return j >= 0 && j < n ? .int(lo + j) : nil
        default: return nil
        }
    }

    // MARK: Filters

    /// The arguments of a filter call or a custom tag, evaluated; `names` are the keywords' names, in order.
    func evaluate(_ positional: [Expression], _ keywordArguments: [(String, Expression)], names: [String]) throws(LiquidError)
        -> FilterArguments
    {
        let n = positional.count
        let first = n > 0 ? try evaluate(positional[0]) : nil
        let second = n > 1 ? try evaluate(positional[1]) : nil
        var rest: [Value]?
        if n > 2 {
            var values: [Value] = []
            for a in positional[2...] { values.append(try evaluate(a)) }
            rest = values
        }
        let k = keywordArguments.count
        let keyword0 = k > 0 ? try evaluate(keywordArguments[0].1) : nil
        let keyword1 = k > 1 ? try evaluate(keywordArguments[1].1) : nil
        var more: [Value]?
        if k > 2 {
            var values: [Value] = []
            values.reserveCapacity(k - 2)
            for (_, e) in keywordArguments[2...] { values.append(try evaluate(e)) }
            more = values
        }
        return FilterArguments(first: first, second: second, rest: rest, count: n, keywordNames: names, keyword0: keyword0,
                               keyword1: keyword1, moreKeywords: more)
    }

    func apply(_ call: FilterCall, to input: Value) throws(LiquidError) -> Value {
        guard let function = call.function else {
            if options.strictFilters {
                throw LiquidError(.undefinedFilter, "undefined filter \(call.name)", offset: call.offset)
            }
            return input
        }
        let arguments = try evaluate(call.arguments, call.keywordArguments, names: call.keywordNames)
        let result: Value
        do {
            result = try function(input, arguments, self)
        } catch let error as LiquidError {
            throw error.located(at: call.offset)
        } catch {
            throw LiquidError.argument("\(call.name): \(error)").located(at: call.offset)
        }
        if case .string(let s) = result, s.utf8.count > options.limits.maxStringBytes {
            throw LiquidError(.resourceLimit, "string longer than \(options.limits.maxStringBytes) bytes", offset: call.offset)
        }
        do throws(LiquidError) {
            try state.charge(work: input.workSize + result.workSize)
        } catch {
            throw error.located(at: call.offset)
        }
        return result
    }
}

extension Context {
    /// `call`'s result written into `out` by its ``OutputWriter``, under the checks ``apply(_:to:)`` makes of a result.
    /// A call that fails leaves `out` as it was.
    func write(_ call: FilterCall, input: Value, into out: inout OutputBuffer) throws(LiquidError) {
        let writer = call.writer!
        let arguments = try evaluate(call.arguments, call.keywordArguments, names: call.keywordNames)
        let start = out.count
        do {
            try writer(input, arguments, self, &out)
        } catch let error as LiquidError {
            out.truncate(to: start)
            throw error.located(at: call.offset)
        } catch {
            out.truncate(to: start)
            throw LiquidError.argument("\(call.name): \(error)").located(at: call.offset)
        }
        let written = out.count - start
        if written > options.limits.maxStringBytes {
            out.truncate(to: start)
            throw LiquidError(.resourceLimit, "string longer than \(options.limits.maxStringBytes) bytes", offset: call.offset)
        }
        do throws(LiquidError) {
            try state.charge(work: input.workSize + written)
        } catch {
            throw error.located(at: call.offset)
        }
    }
}

/// What a render shares with every partial it renders: its options, its environment, and the counters
/// checked against ``ResourceLimits``.
final class RenderState {
    let options: RenderOptions
    let engine: Environment
    var iterations = 0
    var assignedBytes = 0
    /// Block bodies being rendered, across partials.
    var nesting = 0
    /// `{% extends %}`: each block's versions from the page up, and how many layouts deep the render is.
    var blockChains: [String: [BlockTag]] = [:]
    var layoutDepth = 0
    /// Set for a mapped render: where each node's output starts. Nil while a tag renders into a buffer of its
    /// own (a capture), whose offsets are not the output's.
    var sourceMap: SourceMapBuilder?

    init(options: RenderOptions, engine: Environment) {
        self.options = options
        self.engine = engine
    }

    /// Runs `body`, which renders into a buffer of its own, with the source map paused: its offsets are not the
    /// output's (the output it leads to is marked as the tag's).
    @inline(__always)
    func unmapped(_ body: () throws(LiquidError) -> Void) throws(LiquidError) {
        guard let map = sourceMap else { return try body() }
        sourceMap = nil
        defer { sourceMap = map }
        try body()
    }

    @inline(__always)
    func chargeIteration(_ limits: ResourceLimits) throws(LiquidError) {
        iterations += 1
        if iterations > limits.maxLoopIterations {
            throw LiquidError(.resourceLimit, "more than \(limits.maxLoopIterations) loop iterations in one render")
        }
        try charge(work: 1)
    }

    /// Work done so far (see ``ResourceLimits/maxWork``).
    private(set) var work = 0
    /// The work at which the limits, the deadline and cancellation are looked at next.
    private var nextCheckpoint = 0
    /// Work between two looks at the clock: a few milliseconds of the cheapest work (loop turns), far less of
    /// costly work, which is charged by its size.
    static let checkpointInterval = 1 << 14

    /// Adds `units` of work; past a checkpoint, ends the render if it is over its work limit, past its deadline
    /// or cancelled.
    @inline(__always)
    func charge(work units: Int) throws(LiquidError) {
        work &+= units
        if work >= nextCheckpoint { try checkpoint() }
    }

    @inline(never)
    private func checkpoint() throws(LiquidError) {
        let limit = options.limits.maxWork
        if work > limit {
            throw LiquidError(.resourceLimit, "more than \(limit) units of work (bytes and items handled) in one render")
        }
        nextCheckpoint = limit - work > Self.checkpointInterval ? work + Self.checkpointInterval : limit &+ 1
        if let deadline = options.deadline, ContinuousClock.now >= deadline {
            throw LiquidError(.timeout, "the render ran past its deadline and was stopped here")
        }
        if let isCancelled = options.isCancelled, isCancelled() {
            throw LiquidError(.cancelled, "the render was stopped here: its answer is no longer wanted")
        }
    }

    func charge(assigned value: Value, limits: ResourceLimits) throws(LiquidError) {
        guard case .string(let s) = value else { return }
        assignedBytes += s.utf8.count
        if assignedBytes > limits.maxAssignedBytes {
            throw LiquidError(.resourceLimit, "more than \(limits.maxAssignedBytes) bytes assigned in one render")
        }
    }
}
