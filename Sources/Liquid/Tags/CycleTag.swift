/// `{% cycle 'a', 'b' %}` or `{% cycle group: 'a', 'b' %}`: prints the next value of the list each time.
final class CycleTag: Node {
    let group: Expression?
    let key: String
    let values: [Expression]

    init(group: Expression?, key: String, values: [Expression]) {
        self.group = group
        self.key = key
        self.values = values
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var p = try parser.markupParser(tag)
        var group: Expression?
        var values: [Expression] = []
        do throws(LiquidError) {
            let first = try p.expression()
            if p.consumeIf(.colon) != nil {
                group = first
                values.append(try p.expression())
            } else {
                values.append(first)
            }
            while p.consumeIf(.comma) != nil { values.append(try p.expression()) }
            try p.expectEnd()
        } catch {
            guard parser.errorMode == .lax else { throw error }
            let lax = LaxParser(bytes: parser.bytes, filters: [:])
            values = []
            var i = tag.markupStart
            while i < tag.markupEnd {
                if let e = lax.fragmentEnd(i, tag.markupEnd) {
                    var piece = lax.text(i, e)
                    if piece.hasSuffix(":") && group == nil && values.isEmpty {
                        piece.removeLast()
                        group = lax.expression(piece, offset: i)
                    } else {
                        values.append(lax.expression(piece, offset: i))
                    }
                    i = e
                } else {
                    i += 1
                }
            }
        }
        guard !values.isEmpty else {
            throw LiquidError.syntax("Syntax Error in 'cycle' - Valid syntax: cycle [name :] var [, var2, var3 ...]", at: tag.offset)
        }
        let key = values.map(\.sourceForm).joined(separator: ", ")
        return CycleTag(group: group, key: key, values: values)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let name = try group.map { e throws(LiquidError) in "group:" + (try context.evaluate(e)).description } ?? key
        let position = context.registers.cycles[name] ?? 0
        // A cycle's values are expressions like any output's: escaped when the render escapes.
        if position < values.count { out.append(try context.evaluate(values[position]), escape: context.options.autoescape) }
        context.registers.cycles[name] = position + 1 >= values.count ? 0 : position + 1
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("cycle")
        if let group { analysis.add(group) }
        for v in values { analysis.add(v) }
    }
}
