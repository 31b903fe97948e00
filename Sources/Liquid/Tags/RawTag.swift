/// `{% raw %}...{% endraw %}`: the body is output as written, tags and all.
final class RawTag: Node {
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        guard tag.markupStart == tag.markupEnd else {
            throw LiquidError.syntax("Syntax Error in 'raw' - Valid syntax: raw", at: tag.offset)
        }
        guard !parser.lineMode else {
            throw LiquidError.syntax("'raw' tag was never closed", at: tag.offset)
        }
        return RawTag(bytes: try parser.verbatimBody(closing: "endraw", opener: tag))
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        out.append(bytes: bytes)
    }

    func analyze(_ analysis: inout TemplateAnalysis) { analysis.tag("raw") }
}
