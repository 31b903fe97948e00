/// `{% if %}`/`{% elsif %}`/`{% else %}` and `{% unless %}`: the first branch whose condition holds renders.
final class IfTag: Node {
    let tagName: String
    /// A `nil` condition is an `else`; `conditions[i]` guards `bodies[i]`.
    let conditions: [Condition?]
    let bodies: [BlockBody]
    let negateFirst: Bool
    let isBlank: Bool

    init(tagName: String, branches: [(Condition?, BlockBody)], negateFirst: Bool, isBlank: Bool) {
        self.tagName = tagName
        self.conditions = branches.map(\.0)
        self.bodies = branches.map(\.1)
        self.negateFirst = negateFirst
        self.isBlank = isBlank
    }

    static func parseIf(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        try parse(tag, parser, name: "if", negateFirst: false)
    }

    static func parseUnless(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        try parse(tag, parser, name: "unless", negateFirst: true)
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser, name: String, negateFirst: Bool) throws(LiquidError) -> any Node {
        let end = "end" + name
        let ends: Set<String> = ["elsif", "else", end]
        var branches: [(Condition?, BlockBody)] = []
        var condition: Condition? = try parseCondition(tag, parser)
        while true {
            let (body, next) = try parser.parseBody(blockName: name, until: ends, opener: tag.offset)
            branches.append((condition, body))
            guard let next, next.name != end else { break }
            if next.name == "elsif" {
                condition = try parseCondition(next, parser)
            } else {
                condition = nil
            }
        }
        let blank = branches.allSatisfy { $0.1.isBlank }
        if blank {
            for i in branches.indices { branches[i].1.removeBlankText() }
        }
        return IfTag(tagName: name, branches: branches, negateFirst: negateFirst, isBlank: blank)
    }

    static func parseCondition(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> Condition {
        do throws(LiquidError) {
            var p = try parser.markupParser(tag)
            let c = try p.condition()
            try p.expectEnd()
            return c
        } catch {
            guard parser.errorMode == .lax else { throw error }
            return try LaxCondition.parse(tag, parser)
        }
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        for i in conditions.indices {
            var holds = true
            if let condition = conditions[i] {
                holds = try condition.evaluate(context)
                if i == 0 && negateFirst { holds = !holds }
            }
            if holds {
                try bodies[i].render(context, &out)
                return
            }
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag(tagName)
        for (condition, body) in zip(conditions, bodies) {
            if let condition { analysis.add(condition) }
            body.analyze(&analysis)
        }
    }
}

/// Shopify's lax reading of a condition: words and quoted fragments, with `and`/`or` between comparisons.
enum LaxCondition {
    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> Condition {
        let lax = LaxParser(bytes: parser.bytes, filters: [:])
        var pieces: [(String, Int)] = []
        var i = tag.markupStart
        while i < tag.markupEnd {
            if let e = lax.fragmentEnd(i, tag.markupEnd) {
                pieces.append((lax.text(i, e), i))
                i = e
            } else {
                i += 1
            }
        }
        var groups: [[(String, Int)]] = [[]]
        var joins: [String] = []
        for piece in pieces {
            if piece.0 == "and" || piece.0 == "or" {
                joins.append(piece.0)
                groups.append([])
            } else {
                groups[groups.count - 1].append(piece)
            }
        }
        func comparison(_ g: [(String, Int)]) throws(LiquidError) -> Condition {
            guard let first = g.first else { return .truthy(.literal(.null)) }
            let left = lax.expression(first.0, offset: first.1)
            guard g.count >= 2 else { return .truthy(left) }
            let opText = g[1].0
            guard let op = Comparison(rawValue: opText) else {
                if opText.utf8.allSatisfy({ "=!<>_".utf8.contains($0) || ($0 >= 97 && $0 <= 122) }) {
                    throw LiquidError.syntax("Unknown operator \(opText)", at: g[1].1)
                }
                return .truthy(left)
            }
            let right = g.count >= 3 ? lax.expression(g[2].0, offset: g[2].1) : .literal(.null)
            return .compare(left, op, right, offset: g[1].1)
        }
        guard groups.count <= MarkupParser.maxConditions else {
            throw LiquidError.syntax("More than \(MarkupParser.maxConditions) conditions joined by and/or", at: tag.offset)
        }
        var result = try comparison(groups[groups.count - 1])
        for k in stride(from: groups.count - 2, through: 0, by: -1) {
            let c = try comparison(groups[k])
            result = joins[k] == "and" ? .and(c, result) : .or(c, result)
        }
        return result
    }
}
