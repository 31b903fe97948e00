/// `{% comment %}`, `{% doc %}` and the inline `{% # ... %}`: nothing is rendered.
final class CommentTag: Node {
    let name: String

    init(name: String) {
        self.name = name
    }
    var isBlank: Bool { true }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        _ = try parser.skipBlock(named: "comment", opener: tag)
        return CommentTag(name: "comment")
    }

    static func parseDoc(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        guard tag.markupStart == tag.markupEnd else {
            throw LiquidError.syntax("Syntax Error in 'doc' - Valid syntax: {% doc %}{% enddoc %}", at: tag.offset)
        }
        guard !parser.lineMode else {
            throw LiquidError.syntax("'doc' tag was never closed", at: tag.offset)
        }
        _ = try parser.verbatimBody(closing: "enddoc", opener: tag)
        return CommentTag(name: "doc")
    }

    /// Every line of an inline comment must start with `#`, so the tag can later share a line with code.
    static func parseInline(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var i = tag.markupStart
        while i < tag.markupEnd {
            if parser.bytes[i] == UInt8(ascii: "\n") {
                var j = i + 1
                while j < tag.markupEnd && isRubyWhitespace(parser.bytes[j]) { j += 1 }
                if j < tag.markupEnd && parser.bytes[j] != UInt8(ascii: "#") {
                    throw LiquidError.syntax("Syntax error in tag '#' - Each line of comments must be prefixed by the '#' character", at: j)
                }
                i = j
            } else {
                i += 1
            }
        }
        return CommentTag(name: "#")
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {}

    func analyze(_ analysis: inout TemplateAnalysis) { analysis.tag(name) }
}
