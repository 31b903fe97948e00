/// `{% for item in collection limit: n offset: n reversed %}...{% else %}...{% endfor %}`.
final class ForTag: Node {
    let variable: String
    let collection: Expression
    /// `variable-collection`, the key of `offset: continue` and `forloop.name`.
    let loopName: String
    let reversed: Bool
    let limit: Expression?
    let offset: Expression?
    let offsetContinues: Bool
    let body: BlockBody
    let elseBody: BlockBody?
    let tagOffset: Int
    let isBlank: Bool

    init(variable: String, collection: Expression, loopName: String, reversed: Bool, limit: Expression?, offset: Expression?, offsetContinues: Bool, body: BlockBody, elseBody: BlockBody?, tagOffset: Int, isBlank: Bool) {
        self.variable = variable
        self.collection = collection
        self.loopName = loopName
        self.reversed = reversed
        self.limit = limit
        self.offset = offset
        self.offsetContinues = offsetContinues
        self.body = body
        self.elseBody = elseBody
        self.tagOffset = tagOffset
        self.isBlank = isBlank
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var p = try parser.markupParser(tag)
        let variableToken = try p.consume(.identifier, "a loop variable name")
        let variable = p.text(variableToken)
        guard p.keyword("in") else {
            throw LiquidError.syntax("For loops require an 'in' clause", at: p.current.start)
        }
        let collectionStart = p.current.start
        let collection = try p.expression()
        let collectionText = parser.text(collectionStart, p.tokens[p.pos - 1].end + (p.tokens[p.pos - 1].kind == .string ? 1 : 0))
        var reversed = p.keyword("reversed")
        var limit: Expression?
        var offset: Expression?
        var continues = false
        while !p.atEnd {
            if p.consumeIf(.comma) != nil { continue }
            if p.keyword("reversed") {
                reversed = true
                continue
            }
            let attribute = p.current
            guard attribute.kind == .identifier, p.peek().kind == .colon,
                  ["limit", "offset"].contains(p.text(attribute)) else {
                if parser.errorMode == .lax {
                    p.pos += 1
                    continue
                }
                throw LiquidError.syntax("Invalid attribute in for loop. Valid attributes are limit and offset", at: attribute.start)
            }
            p.pos += 2
            if p.text(attribute) == "limit" {
                limit = try p.expression()
            } else if p.isKeyword("continue") {
                p.pos += 1
                continues = true
            } else {
                offset = try p.expression()
            }
        }
        var (body, next) = try parser.parseBody(blockName: "for", until: ["else", "endfor"], opener: tag.offset)
        var elseBody: BlockBody?
        if next?.name == "else" {
            (elseBody, _) = try parser.parseBody(blockName: "for", until: ["endfor"], opener: tag.offset)
        }
        let blank = body.isBlank && (elseBody?.isBlank ?? true)
        if blank {
            body.removeBlankText()
            elseBody?.removeBlankText()
        }
        return ForTag(variable: variable, collection: collection, loopName: "\(variable)-\(collectionText)",
                      reversed: reversed, limit: limit, offset: offset, offsetContinues: continues, body: body,
                      elseBody: elseBody, tagOffset: tag.offset, isBlank: blank)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let items: [Value]
        do throws(LiquidError) {
            var from = 0
            if offsetContinues {
                from = context.registers.forOffsets[loopName] ?? 0
            } else if let offset {
                let v = try context.evaluate(offset)
                if !v.isNil { from = try LoopSource.integer(v) }
            }
            let source = try context.evaluate(collection)
            var to: Int?
            if let limit {
                let v = try context.evaluate(limit)
                if !v.isNil { to = saturatingAdd(try LoopSource.integer(v), from) }
            }
            var sliced = try LoopSource.items(source, from: from, to: to, context: context)
            if reversed { sliced.reverse() }
            context.registers.forOffsets[loopName] = from + sliced.count
            items = sliced
        } catch {
            throw error.located(at: tagOffset)
        }
        if items.isEmpty {
            try elseBody?.render(context, &out)
            return
        }
        let parent = context.forStack.last
        context.pushScope()
        defer { context.popScope() }
        let limits = context.options.limits
        let loop = ForloopDrop(name: loopName, index0: 0, length: items.count, parent: parent)
        context.forStack.append(loop)
        defer { context.forStack.removeLast() }
        context.setLocal("forloop", .drop(loop))
        for (i, item) in items.enumerated() {
            do throws(LiquidError) {
                try context.state.chargeIteration(limits)
            } catch {
                throw error.located(at: tagOffset)
            }
            loop.index0 = i
            context.setLocal(variable, item)
            try body.render(context, &out)
            if let interrupt = context.interrupt {
                context.interrupt = nil
                if interrupt == .breakLoop { break }
            }
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("for")
        analysis.add(collection)
        if let limit { analysis.add(limit) }
        if let offset { analysis.add(offset) }
        analysis.withLocals([variable, "forloop"]) { body.analyze(&$0) }
        elseBody?.analyze(&analysis)
    }
}
