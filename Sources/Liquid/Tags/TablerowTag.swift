/// `{% tablerow item in collection cols: n limit: n offset: n %}`: table rows and cells around the body.
final class TablerowTag: Node {
    let variable: String
    let collection: Expression
    let attributes: [(String, Expression)]
    let body: BlockBody
    let tagOffset: Int

    init(variable: String, collection: Expression, attributes: [(String, Expression)], body: BlockBody, tagOffset: Int) {
        self.variable = variable
        self.collection = collection
        self.attributes = attributes
        self.body = body
        self.tagOffset = tagOffset
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var p = try parser.markupParser(tag)
        let variableToken = try p.consume(.identifier, "a loop variable name")
        guard p.keyword("in") else {
            throw LiquidError.syntax("Syntax Error in 'tablerow loop' - Valid syntax: tablerow [item] in [collection] cols=3", at: tag.offset)
        }
        let collection = try p.expression()
        var attributes: [(String, Expression)] = []
        while !p.atEnd {
            if p.consumeIf(.comma) != nil { continue }
            let name = p.current
            guard name.kind == .identifier, p.peek().kind == .colon else {
                if parser.errorMode == .lax {
                    p.pos += 1
                    continue
                }
                throw LiquidError.syntax("Invalid attribute in tablerow loop. Valid attributes are cols, limit and offset", at: name.start)
            }
            p.pos += 2
            attributes.append((p.text(name), try p.expression()))
        }
        let (body, _) = try parser.parseBody(blockName: "tablerow", until: ["endtablerow"], opener: tag.offset)
        return TablerowTag(variable: p.text(variableToken), collection: collection, attributes: attributes,
                           body: body, tagOffset: tag.offset)
    }

    private func attribute(_ name: String, _ context: Context) throws(LiquidError) -> Int? {
        guard let e = attributes.last(where: { $0.0 == name })?.1 else { return nil }
        let v = try context.evaluate(e)
        return v.isNil ? nil : try LoopSource.integer(v)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let items: [Value]
        let cols: Int
        do throws(LiquidError) {
            let source = try context.evaluate(collection)
            let from = try attribute("offset", context) ?? 0
            let to = try attribute("limit", context).map { saturatingAdd($0, from) }
            items = try LoopSource.items(source, from: from, to: to, context: context)
            cols = try attribute("cols", context) ?? items.count
        } catch {
            throw error.located(at: tagOffset)
        }
        out.append("<tr class=\"row1\">\n")
        context.pushScope()
        defer { context.popScope() }
        for (i, item) in items.enumerated() {
            do throws(LiquidError) {
                try context.state.chargeIteration(context.options.limits)
            } catch {
                throw error.located(at: tagOffset)
            }
            let loop = TablerowloopDrop(index0: i, length: items.count, cols: cols)
            context.setLocal("tablerowloop", .drop(loop))
            context.setLocal(variable, item)
            out.append("<td class=\"col")
            out.appendInteger(loop.col0 + 1)
            out.append("\">")
            try body.render(context, &out)
            out.append("</td>")
            if let interrupt = context.interrupt {
                context.interrupt = nil
                if interrupt == .breakLoop { break }
            }
            if loop.col0 + 1 == cols && i != items.count - 1 {
                out.append("</tr>\n<tr class=\"row")
                out.appendInteger(loop.row + 1)
                out.append("\">")
            }
        }
        out.append("</tr>\n")
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("tablerow")
        analysis.add(collection)
        for (_, e) in attributes { analysis.add(e) }
        analysis.withLocals([variable, "tablerowloop"]) { body.analyze(&$0) }
    }
}
