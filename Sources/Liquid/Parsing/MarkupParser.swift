/// Parses the markup of one tag or output with Shopify's strict grammar.
struct MarkupParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let tokens: [Token]
    let filters: [String: FilterBox]
    var pos = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, filters: [String: FilterBox]) throws(LiquidError) {
        self.bytes = bytes
        self.tokens = try Lexer.tokenize(bytes, from: start, to: end)
        self.filters = filters
    }

    var current: Token { tokens[pos] }
    func peek(_ k: Int = 1) -> Token { tokens[min(pos + k, tokens.count - 1)] }
    var atEnd: Bool { current.kind == .end }

    func text(_ t: Token) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[t.start..<t.end]), as: UTF8.self)
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .end: return "end of tag"
        case .string: return "string \"\(text(t))\""
        default: return "'\(text(t))'"
        }
    }

    @discardableResult
    mutating func consume(_ kind: Token.Kind, _ what: String) throws(LiquidError) -> Token {
        let t = current
        guard t.kind == kind else {
            throw LiquidError.syntax("Expected \(what) but found \(describe(t))", at: t.start)
        }
        pos += 1
        return t
    }

    mutating func consumeIf(_ kind: Token.Kind) -> Token? {
        guard current.kind == kind else { return nil }
        defer { pos += 1 }
        return current
    }

    /// Consumes the identifier `word` when it is next.
    mutating func keyword(_ word: String) -> Bool {
        guard current.kind == .identifier, text(current) == word else { return false }
        pos += 1
        return true
    }

    func isKeyword(_ word: String, at k: Int = 0) -> Bool {
        let t = peek(k)
        return t.kind == .identifier && text(t) == word
    }

    mutating func expectEnd() throws(LiquidError) {
        guard atEnd else { throw LiquidError.syntax("Expected end of tag but found \(describe(current))", at: current.start) }
    }

    mutating func expression(depth: Int = 0) throws(LiquidError) -> Expression {
        guard depth < 64 else { throw LiquidError.syntax("Expression nested too deeply", at: current.start) }
        let t = current
        switch t.kind {
        case .identifier:
            pos += 1
            let name = text(t)
            let path = try lookups(depth: depth)
            if path.isEmpty, let literal = Self.keywordLiteral(name) { return .literal(literal) }
            return .variable(VariableLookup(root: .name(name), path: path, offset: t.start))
        case .openSquare:
            pos += 1
            let inner = try expression(depth: depth + 1)
            try consume(.closeSquare, "']'")
            let path = try lookups(depth: depth)
            return .variable(VariableLookup(root: .expression(inner), path: path, offset: t.start))
        case .string:
            pos += 1
            return .literal(.string(text(t)))
        case .integer:
            pos += 1
            return .literal(Self.integerLiteral(text(t)))
        case .float:
            pos += 1
            return .literal(.double(Double(text(t)) ?? 0))
        case .openRound:
            pos += 1
            let lower = try expression(depth: depth + 1)
            try consume(.dotDot, "'..'")
            let upper = try expression(depth: depth + 1)
            try consume(.closeRound, "')'")
            if case .literal(let a) = lower, case .literal(let b) = upper, let lo = a.rangeBound, let hi = b.rangeBound {
                return .literal(.clampedRange(lo, hi))
            }
            return .range(lower, upper, offset: t.start)
        default:
            throw LiquidError.syntax("Expected a value or variable but found \(describe(t))", at: t.start)
        }
    }

    static func integerLiteral(_ s: String) -> Value {
        if let i = Int(s) { return .int(i) }
        return .double(Double(s) ?? 0)
    }

    static func keywordLiteral(_ name: String) -> Value? {
        switch name {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "nil", "null": return .null
        case "empty": return .empty
        case "blank": return .blank
        default: return nil
        }
    }

    mutating func lookups(depth: Int) throws(LiquidError) -> [VariableLookup.Segment] {
        var path: [VariableLookup.Segment] = []
        while true {
            if consumeIf(.openSquare) != nil {
                let e = try expression(depth: depth + 1)
                try consume(.closeSquare, "']'")
                path.append(.index(e))
            } else if consumeIf(.dot) != nil {
                let t = try consume(.identifier, "a property name")
                path.append(.key(text(t)))
            } else {
                return path
            }
        }
    }

    /// `expression | filter: arg, key: value | ...`
    mutating func filteredExpression() throws(LiquidError) -> FilteredExpression {
        let base = try expression()
        return FilteredExpression(base: base, filters: try filterChain())
    }

    mutating func filterChain() throws(LiquidError) -> [FilterCall] {
        var calls: [FilterCall] = []
        while consumeIf(.pipe) != nil {
            let nameToken = try consume(.identifier, "a filter name")
            let name = text(nameToken)
            var args: [Expression] = []
            var keywords: [(String, Expression)] = []
            if consumeIf(.colon) != nil { (args, keywords) = try argumentList() }
            calls.append(FilterCall(name: name, box: filters[name], arguments: args,
                                    keywordArguments: keywords, offset: nameToken.start))
        }
        return calls
    }

    /// `a, b, key: c`: a filter's arguments after its colon, or a custom tag's markup.
    mutating func argumentList() throws(LiquidError) -> (positional: [Expression], keywords: [(String, Expression)]) {
        var args: [Expression] = []
        var keywords: [(String, Expression)] = []
        repeat {
            if current.kind == .identifier && peek().kind == .colon {
                let key = text(current)
                pos += 2
                keywords.append((key, try expression()))
            } else {
                args.append(try expression())
            }
        } while consumeIf(.comma) != nil
        return (args, keywords)
    }

    /// `a == b and c contains d or e`: comparisons joined right to left, as Shopify evaluates them.
    mutating func condition(depth: Int = 0) throws(LiquidError) -> Condition {
        guard depth < Self.maxConditions else {
            throw LiquidError.syntax("More than \(Self.maxConditions) conditions joined by and/or", at: current.start)
        }
        let first = try comparison()
        if keyword("and") { return .and(first, try condition(depth: depth + 1)) }
        if keyword("or") { return .or(first, try condition(depth: depth + 1)) }
        return first
    }

    /// How many comparisons one `if` may chain; conditions nest as deep, and are evaluated recursively.
    static let maxConditions = 256

    mutating func comparison() throws(LiquidError) -> Condition {
        let left = try expression()
        guard let op = consumeIf(.comparison) else { return .truthy(left) }
        let opText = text(op)
        let right = try expression()
        guard let comparison = Comparison(rawValue: opText) else {
            throw LiquidError.syntax("Unknown operator \(opText)", at: op.start)
        }
        return .compare(left, comparison, right, offset: op.start)
    }
}

extension Value {
    /// An integer range bound from a literal, following Ruby's `to_i` for strings and nil.
    var rangeBound: Int? {
        switch self {
        case .int(let i): return i
        case .null: return 0
        case .string(let s): return rubyToInt(s)
        default: return nil
        }
    }
}

/// Ruby's `String#to_i`: leading white space, an optional sign and the digits that follow; 0 when none.
func rubyToInt(_ s: String) -> Int {
    var it = s.utf8.makeIterator()
    var c = it.next()
    while let b = c, isRubyWhitespace(b) { c = it.next() }
    var negative = false
    if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
        negative = c == UInt8(ascii: "-")
        c = it.next()
    }
    var value = 0
    while let b = c {
        if isDigit(b) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(b - 48))
            if o1 || o2 { return negative ? Int.min : Int.max }
            value = a
        } else if b != UInt8(ascii: "_") {
            break
        }
        c = it.next()
    }
    return negative ? -value : value
}
