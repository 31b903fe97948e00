/// `{% liquid %}`: one tag per line, no delimiters.
final class LiquidTag: Node {
    let body: BlockBody

    init(body: BlockBody) {
        self.body = body
    }
    var isBlank: Bool { body.isBlank }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        let lines = try parser.liquidLines(tag)
        let sub = TemplateParser(lines: lines, parent: parser)
        return LiquidTag(body: try sub.parseDocument())
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        try body.render(context, &out)
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("liquid")
        body.analyze(&analysis)
    }
}
