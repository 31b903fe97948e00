/// `{% ifchanged %}...{% endifchanged %}`: renders its body only when the output differs from the last time.
final class IfChangedTag: Node {
    let body: BlockBody

    init(body: BlockBody) {
        self.body = body
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        let (body, _) = try parser.parseBody(blockName: "ifchanged", until: ["endifchanged"], opener: tag.offset)
        return IfChangedTag(body: body)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        var rendered = OutputBuffer(capacity: 64)
        try context.state.unmapped { () throws(LiquidError) in try body.render(context, &rendered) }
        if context.registers.lastIfChanged != rendered.bytes {
            context.registers.lastIfChanged = rendered.bytes
            out.append(rendered)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("ifchanged")
        body.analyze(&analysis)
    }
}
