/// A filter's implementation: the input, then the arguments as written after the colon.
///
/// Filters throw ``LiquidError`` for bad arguments (any other error is reported as an argument error);
/// the engine adds the location.
public typealias Filter = @Sendable (_ input: Value, _ arguments: FilterArguments, _ context: Context) throws -> Value

/// The positional and keyword arguments of one filter call, already evaluated.
///
/// The first two positional arguments are stored inline: most filters take at most two, and a call then
/// allocates nothing.
public struct FilterArguments {
    private let first: Value?
    private let second: Value?
    private let rest: [Value]?
    public let count: Int
    private let keywordList: [(String, Value)]?

    public var keywords: [(String, Value)] { keywordList ?? [] }

    public init(_ positional: [Value] = [], keywords: [(String, Value)] = []) {
        first = positional.count > 0 ? positional[0] : nil
        second = positional.count > 1 ? positional[1] : nil
        rest = positional.count > 2 ? Array(positional[2...]) : nil
        count = positional.count
        keywordList = keywords.isEmpty ? nil : keywords
    }

    init(first: Value?, second: Value?, rest: [Value]?, count: Int, keywords: [(String, Value)]?) {
        self.first = first
        self.second = second
        self.rest = rest
        self.count = count
        self.keywordList = keywords
    }

    public var positional: [Value] { (0..<count).map { self[$0]! } }

    /// The positional argument at `index`, or `nil` when the call has fewer.
    public subscript(index: Int) -> Value? {
        switch index {
        case 0: return first
        case 1: return second
        default: return index < count ? rest?[index - 2] : nil
        }
    }

    /// The positional argument at `index`, or `nil` when the call has fewer or it is nil.
    public func optional(_ index: Int) -> Value? {
        guard let v = self[index], !v.isNil else { return nil }
        return v
    }

    public func keyword(_ name: String) -> Value? {
        keywordList?.last(where: { $0.0 == name })?.1
    }

    /// Throws unless the call has between `min` and `max` positional arguments.
    public func expect(_ name: String, min: Int, max: Int) throws(LiquidError) {
        if count < min || count > max {
            let range = min == max ? "\(min)" : "\(min)..\(max)"
            throw LiquidError.argument("\(name): wrong number of arguments (given \(count), expected \(range))")
        }
    }
}

/// A filter held by reference: a function value kept in a dictionary is stored in the dictionary's generic
/// form and every call through it would be re-abstracted; through a box it is called directly.
final class FilterBox: Sendable {
    let function: Filter

    init(_ function: @escaping Filter) { self.function = function }
}

/// One `| name: args` in a chain.
final class FilterCall: Sendable {
    let name: String
    let function: Filter?
    let arguments: [Expression]
    let keywordArguments: [(String, Expression)]
    let offset: Int

    init(name: String, function: Filter?, arguments: [Expression], keywordArguments: [(String, Expression)], offset: Int) {
        self.name = name
        self.function = function
        self.arguments = arguments
        self.keywordArguments = keywordArguments
        self.offset = offset
    }
}

/// An expression followed by filters: the markup of outputs, `assign` and `echo`.
final class FilteredExpression: Sendable {
    let base: Expression
    let filters: [FilterCall]

    init(base: Expression, filters: [FilterCall]) {
        self.base = base
        self.filters = filters
    }

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
            if call.name == "newline_to_br" && !safe {
                // The filter marks its result safe, so its input is escaped first, whatever its type (an array or a
                // hash becomes its text as the filter would make it).
                let s = rubyString(value)
                var escaped = OutputBuffer(capacity: s.utf8.count)
                escaped.appendEscaped(s)
                value = .string(escaped.string)
            }
            let input = value
            value = try context.apply(call, to: value)
            if Self.escapingFilters.contains(call.name) || context.engine.htmlFilters.contains(call.name) {
                safe = true
            } else if !Self.safePreservingFilters.contains(call.name) {
                safe = false
            } else if safe && call.name == "default" {
                // `default` hands back its fallback, an unescaped argument, when the input is empty: the result is as
                // safe as the input only when it is the input's text.
                safe = rubyString(value) == rubyString(input)
            }
        }
        return (value, safe)
    }
}
