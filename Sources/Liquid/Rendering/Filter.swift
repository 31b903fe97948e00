/// A filter's implementation: the input, then the arguments as written after the colon.
///
/// Filters throw ``LiquidError`` for bad arguments (any other error is reported as an argument error);
/// the engine adds the location.
public typealias Filter = @Sendable (_ input: Value, _ arguments: FilterArguments, _ context: Context) throws -> Value

/// A filter's second form, for when it ends an output tag (`{{ 'cart.title' | t }}`): its result written straight into
/// the render's output rather than made as a string to be copied there. It must write the very bytes its ``Filter``
/// returns, and is used only where they are printed as they are (with autoescape, for a filter that gives HTML).
public typealias OutputWriter = @Sendable (_ input: Value, _ arguments: FilterArguments, _ context: Context,
                                           _ out: inout OutputBuffer) throws -> Void

/// The positional and keyword arguments of one filter call, already evaluated.
///
/// The first two positional arguments are stored inline: most filters take at most two, and a call then
/// allocates nothing.
public struct FilterArguments {
    private let first: Value?
    private let second: Value?
    private let rest: [Value]?
    public let count: Int
    /// The keywords' names in the call's order: the call's own array, shared by every render of it.
    private let keywordNames: [String]
    /// Their values: the first two held here (no array to allocate for most calls), the rest in `moreKeywords`.
    private let keyword0: Value?
    private let keyword1: Value?
    private let moreKeywords: [Value]?

    public var keywords: [(String, Value)] { keywordNames.indices.map { (keywordNames[$0], keywordValue($0)) } }

    public init(_ positional: [Value] = [], keywords: [(String, Value)] = []) {
        first = positional.count > 0 ? positional[0] : nil
        second = positional.count > 1 ? positional[1] : nil
        rest = positional.count > 2 ? Array(positional[2...]) : nil
        count = positional.count
        keywordNames = keywords.map(\.0)
        keyword0 = keywords.count > 0 ? keywords[0].1 : nil
        keyword1 = keywords.count > 1 ? keywords[1].1 : nil
        moreKeywords = keywords.count > 2 ? keywords[2...].map(\.1) : nil
    }

    init(first: Value?, second: Value?, rest: [Value]?, count: Int, keywordNames: [String], keyword0: Value?, keyword1: Value?,
         moreKeywords: [Value]?)
    {
        self.first = first
        self.second = second
        self.rest = rest
        self.count = count
        self.keywordNames = keywordNames
        self.keyword0 = keyword0
        self.keyword1 = keyword1
        self.moreKeywords = moreKeywords
    }

    private func keywordValue(_ index: Int) -> Value {
        switch index {
        case 0: return keyword0!
        case 1: return keyword1!
        default: return moreKeywords![index - 2]
        }
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

    /// The value of the keyword `name` (the last, when the call repeats it).
    public func keyword(_ name: String) -> Value? {
        var i = keywordNames.count - 1
        while i >= 0 {
            if keywordNames[i] == name { return keywordValue(i) }
            i -= 1
        }
        return nil
    }

    /// Throws unless the call has between `min` and `max` positional arguments.
    public func expect(_ name: String, min: Int, max: Int) throws(LiquidError) {
        if count < min || count > max {
            let range = min == max ? "\(min)" : "\(min)..\(max)"
            throw LiquidError.argument("\(name): wrong number of arguments (given \(count), expected \(range))")
        }
    }
}

/// Filters by name, for ``Environment``: each kept in a box of its own as the function it was written as. A
/// dictionary of closures keeps them in its generic form, and every call through one would pass its input,
/// arguments and result through two conversions; set through the subscript, a filter is boxed before any.
public struct FilterTable: Sendable, ExpressibleByDictionaryLiteral {
    var boxes: [String: FilterBox] = [:]

    public init() {}

    /// `["shout": shout]`: convenient, but the literal's closures have been through the dictionary form once; a
    /// table filled through the subscript calls them directly.
    public init(dictionaryLiteral elements: (String, Filter)...) {
        for (name, filter) in elements { self[name] = filter }
    }

    public subscript(name: String) -> Filter? {
        get { boxes[name]?.function }
        set { boxes[name] = newValue.map { FilterBox($0, marksHTML: false) } }
    }

    /// Sets a filter with its ``OutputWriter``, used where it ends an output tag.
    public mutating func set(_ name: String, _ filter: @escaping Filter, writer: @escaping OutputWriter) {
        boxes[name] = FilterBox(filter, writer: writer, marksHTML: false)
    }

    /// The filters' names, in no order.
    public var names: [String] { Array(boxes.keys) }

    /// This table with `other`'s filters added (`other` wins a name both have).
    public func merging(_ other: FilterTable) -> FilterTable {
        var merged = self
        merged.boxes.merge(other.boxes) { _, added in added }
        return merged
    }
}

/// A filter held by reference: a function value kept in a dictionary is stored in the dictionary's generic
/// form and every call through it would be re-abstracted; through a box it is called directly.
final class FilterBox: Sendable {
    let function: Filter
    let writer: OutputWriter?
    /// Its result is HTML ready to print (an escaping filter, or one the environment names in `htmlFilters`).
    let marksHTML: Bool

    init(_ function: @escaping Filter, writer: OutputWriter? = nil, marksHTML: Bool) {
        self.function = function
        self.writer = writer
        self.marksHTML = marksHTML
    }
}

/// One `| name: args` in a chain.
final class FilterCall: Sendable {
    let name: String
    let function: Filter?
    let writer: OutputWriter?
    let arguments: [Expression]
    let keywordArguments: [(String, Expression)]
    /// The keywords' names, for the arguments of every render of the call.
    let keywordNames: [String]
    let offset: Int
    /// What the filter does to autoescape's view of its input, worked out when it is parsed.
    let safety: Safety
    /// `newline_to_br`: marks its result safe, so autoescape escapes its input first.
    let escapesInputFirst: Bool

    enum Safety {
        /// Its result is HTML ready to print.
        case marksSafe
        /// Its result is as safe as its input.
        case keepsSafety
        /// `default`: as safe as its input when it returns its input's text.
        case safeWhenInput
        /// Its result is text to escape.
        case unsafe
    }

    init(name: String, box: FilterBox?, arguments: [Expression], keywordArguments: [(String, Expression)], offset: Int) {
        self.name = name
        self.function = box?.function
        self.writer = box?.writer
        self.arguments = arguments
        self.keywordArguments = keywordArguments
        keywordNames = keywordArguments.map(\.0)
        self.offset = offset
        escapesInputFirst = name == "newline_to_br"
        if box?.marksHTML == true || FilteredExpression.escapingFilters.contains(name) {
            safety = .marksSafe
        } else if name == "default" {
            safety = .safeWhenInput
        } else if FilteredExpression.safePreservingFilters.contains(name) {
            safety = .keepsSafety
        } else {
            safety = .unsafe
        }
    }
}

/// An expression followed by filters: the markup of outputs, `assign` and `echo`.
final class FilteredExpression: Sendable {
    let base: Expression
    let filters: [FilterCall]

    /// The last filter, when it writes into the output itself (an ``OutputWriter``).
    let writingCall: FilterCall?

    init(base: Expression, filters: [FilterCall]) {
        self.base = base
        self.filters = filters
        writingCall = filters.last.flatMap { $0.writer == nil ? nil : $0 }
    }

    /// The filters that mark their result as HTML already safe to print in autoescape mode.
    static let escapingFilters: Set<String> = ["escape", "h", "escape_once", "raw", "url_encode", "newline_to_br"]
    /// Filters whose output stays safe when their input was.
    static let safePreservingFilters: Set<String> = [
        "truncate", "truncatewords", "upcase", "downcase", "capitalize", "strip", "lstrip", "rstrip",
        "strip_newlines", "default", "first", "last", "slice",
    ]

    func evaluate(_ context: Context) throws(LiquidError) -> Value {
        try evaluate(context, filters: filters.count)
    }

    /// Evaluates, and says whether the result is HTML already escaped (for autoescape).
    func evaluateMarkingSafety(_ context: Context) throws(LiquidError) -> (Value, safe: Bool) {
        try evaluateMarkingSafety(context, filters: filters.count)
    }

    /// Prints the value into `out`, as an output tag does: through the last filter's writer where it has one and
    /// what it writes is printed as it is (no autoescape, or a filter giving HTML); escaped as autoescape says.
    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let autoescape = context.options.autoescape
        if let call = writingCall, !autoescape || call.safety == .marksSafe {
            // What the filters before it make of the value, as the value form has it.
            let input = autoescape ? try evaluateMarkingSafety(context, filters: filters.count - 1).0
                : try evaluate(context, filters: filters.count - 1)
            try context.write(call, input: input, into: &out)
        } else if autoescape {
            let (value, safe) = try evaluateMarkingSafety(context)
            out.append(value, escape: !safe)
        } else {
            out.append(try evaluate(context))
        }
    }

    private func evaluate(_ context: Context, filters count: Int) throws(LiquidError) -> Value {
        var value = try context.evaluate(base)
        for i in 0..<count {
            let call = filters[i]
            value = try context.apply(call, to: value)
        }
        return value
    }

    private func evaluateMarkingSafety(_ context: Context, filters count: Int) throws(LiquidError) -> (Value, safe: Bool) {
        var value = try context.evaluate(base)
        var safe = false
        for i in 0..<count {
            let call = filters[i]
            if call.escapesInputFirst && !safe {
                // The filter marks its result safe, so its input is escaped first, whatever its type (an array or a
                // hash becomes its text as the filter would make it).
                let s = rubyString(value)
                var escaped = OutputBuffer(capacity: s.utf8.count)
                escaped.appendEscaped(s)
                value = .string(escaped.string)
            }
            let input = value
            value = try context.apply(call, to: value)
            switch call.safety {
            case .marksSafe: safe = true
            case .keepsSafety: break
            case .unsafe: safe = false
            case .safeWhenInput:
                // `default` hands back its fallback, an unescaped argument, when the input is empty: the result is as
                // safe as the input only when it is the input's text.
                if safe { safe = rubyString(value) == rubyString(input) }
            }
        }
        return (value, safe)
    }
}
