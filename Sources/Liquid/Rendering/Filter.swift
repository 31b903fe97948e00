/// A filter's implementation: the input, then the arguments as written after the colon.
///
/// Filters throw ``LiquidError`` for bad arguments (any other error is reported as an argument error);
/// the engine adds the location.
public typealias Filter = @Sendable (_ input: Value, _ arguments: FilterArguments, _ context: Context) throws -> Value

/// The positional and keyword arguments of one filter call, already evaluated.
public struct FilterArguments {
    public var positional: [Value]
    public var keywords: [(String, Value)]

    public init(_ positional: [Value] = [], keywords: [(String, Value)] = []) {
        self.positional = positional
        self.keywords = keywords
    }

    public var count: Int { positional.count }

    /// The positional argument at `index`, or `nil` when the call has fewer.
    public subscript(index: Int) -> Value? {
        index < positional.count ? positional[index] : nil
    }

    /// The positional argument at `index`, or `nil` when the call has fewer or it is nil.
    public func optional(_ index: Int) -> Value? {
        guard let v = self[index], !v.isNil else { return nil }
        return v
    }

    public func keyword(_ name: String) -> Value? {
        keywords.last(where: { $0.0 == name })?.1
    }

    /// Throws unless the call has between `min` and `max` positional arguments.
    public func expect(_ name: String, min: Int, max: Int) throws(LiquidError) {
        if positional.count < min || positional.count > max {
            let range = min == max ? "\(min)" : "\(min)..\(max)"
            throw LiquidError.argument("\(name): wrong number of arguments (given \(positional.count), expected \(range))")
        }
    }
}

/// One `| name: args` in a chain.
struct FilterCall: Sendable {
    let name: String
    let function: Filter?
    let arguments: [Expression]
    let keywordArguments: [(String, Expression)]
    let offset: Int
}

/// An expression followed by filters: the markup of outputs, `assign` and `echo`.
struct FilteredExpression: Sendable {
    let base: Expression
    let filters: [FilterCall]

    /// The filters that mark their result as HTML already safe to print in autoescape mode.
    static let escapingFilters: Set<String> = ["escape", "h", "escape_once", "raw", "url_encode", "newline_to_br"]
    /// Filters whose output stays safe when their input was.
    static let safePreservingFilters: Set<String> = [
        "truncate", "truncatewords", "upcase", "downcase", "capitalize", "strip", "lstrip", "rstrip",
        "strip_newlines", "default", "first", "last", "slice",
    ]

    func evaluate(_ context: Context) throws(LiquidError) -> Value {
        var value = try context.evaluate(base)
        for call in filters {
            value = try context.apply(call, to: value)
        }
        return value
    }

    /// Evaluates, and says whether the result is HTML already escaped (for autoescape).
    func evaluateMarkingSafety(_ context: Context) throws(LiquidError) -> (Value, safe: Bool) {
        var value = try context.evaluate(base)
        var safe = false
        for call in filters {
            if call.name == "newline_to_br" && !safe, case .string(let s) = value {
                var escaped = OutputBuffer(capacity: s.utf8.count)
                escaped.appendEscaped(s)
                value = .string(escaped.string)
            }
            value = try context.apply(call, to: value)
            if Self.escapingFilters.contains(call.name) {
                safe = true
            } else if !Self.safePreservingFilters.contains(call.name) {
                safe = false
            }
        }
        return (value, safe)
    }
}
