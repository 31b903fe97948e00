/// `{% case x %}{% when a, b %}...{% else %}...{% endcase %}`: every matching `when` renders, as in Shopify;
/// `else` renders when none before it matched.
final class CaseTag: Node {
    enum Branch: Sendable {
        case when([Expression], BlockBody)
        case otherwise(BlockBody)
    }

    let subject: Expression
    let branches: [Branch]
    let offset: Int
    let isBlank: Bool

    init(subject: Expression, branches: [Branch], offset: Int, isBlank: Bool) {
        self.subject = subject
        self.branches = branches
        self.offset = offset
        self.isBlank = isBlank
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var subject: Expression
        do throws(LiquidError) {
            var p = try parser.markupParser(tag)
            subject = try p.expression()
            try p.expectEnd()
        } catch {
            guard parser.errorMode == .lax else { throw error }
            subject = LaxParser(bytes: parser.bytes, filters: [:]).filteredExpression(from: tag.markupStart, to: tag.markupEnd).base
        }
        let ends: Set<String> = ["when", "else", "endcase"]
        var (_, next) = try parser.parseBody(blockName: "case", until: ends, opener: tag.offset)
        var branches: [Branch] = []
        while let delimiter = next, delimiter.name != "endcase" {
            if delimiter.name == "when" {
                let values = try whenValues(delimiter, parser)
                let (body, following) = try parser.parseBody(blockName: "case", until: ends, opener: tag.offset)
                branches.append(.when(values, body))
                next = following
            } else {
                let (body, following) = try parser.parseBody(blockName: "case", until: ends, opener: tag.offset)
                branches.append(.otherwise(body))
                next = following
            }
        }
        let blank = branches.allSatisfy {
            switch $0 {
            case .when(_, let b), .otherwise(let b): return b.isBlank
            }
        }
        if blank {
            branches = branches.map {
                switch $0 {
                case .when(let v, var b):
                    b.removeBlankText()
                    return .when(v, b)
                case .otherwise(var b):
                    b.removeBlankText()
                    return .otherwise(b)
                }
            }
        }
        return CaseTag(subject: subject, branches: branches, offset: tag.offset, isBlank: blank)
    }

    static func whenValues(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> [Expression] {
        do throws(LiquidError) {
            var p = try parser.markupParser(tag)
            var values = [try p.expression()]
            while p.consumeIf(.comma) != nil || p.keyword("or") {
                values.append(try p.expression())
            }
            try p.expectEnd()
            return values
        } catch {
            guard parser.errorMode == .lax else { throw error }
            return try laxWhenValues(tag, parser)
        }
    }

    /// Shopify's lax `when`: a fragment, then more only after `or` or a comma; anything else ends the list.
    static func laxWhenValues(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> [Expression] {
        let lax = LaxParser(bytes: parser.bytes, filters: [:])
        let bytes = parser.bytes
        var values: [Expression] = []
        var i = tag.markupStart
        while let e = lax.fragmentEnd(i, tag.markupEnd) {
            values.append(lax.expression(lax.text(i, e), offset: i))
            var j = e
            while j < tag.markupEnd && isRubyWhitespace(bytes[j]) { j += 1 }
            if j < tag.markupEnd && bytes[j] == UInt8(ascii: ",") {
                j += 1
            } else if j > e, j + 2 < tag.markupEnd, lax.text(j, j + 2) == "or", isRubyWhitespace(bytes[j + 2]) {
                j += 3
            } else {
                break
            }
            while j < tag.markupEnd && isRubyWhitespace(bytes[j]) { j += 1 }
            i = j
        }
        if values.isEmpty {
            throw LiquidError.syntax("Syntax Error in tag 'case' - Valid when condition: {% when [condition] [or condition2...] %}", at: tag.offset)
        }
        return values
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let value = try context.evaluate(subject)
        var matched = false
        for branch in branches {
            switch branch {
            case .when(let candidates, let body):
                // Shopify makes one branch per value, so a body renders once for every value that matches.
                for candidate in candidates where Condition.equals(try context.evaluate(candidate), value) {
                    matched = true
                    try body.render(context, &out)
                    if context.interrupt != nil { return }
                }
            case .otherwise(let body):
                if !matched { try body.render(context, &out) }
            }
            if context.interrupt != nil { return }
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("case")
        analysis.add(subject)
        for branch in branches {
            switch branch {
            case .when(let values, let body):
                for v in values { analysis.add(v) }
                body.analyze(&analysis)
            case .otherwise(let body): body.analyze(&analysis)
            }
        }
    }
}
