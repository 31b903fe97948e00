/// `{% echo expression | filters %}`: the tag form of `{{ }}`, for use inside `{% liquid %}`.
enum EchoTag {
    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        OutputNode(expression: try parser.parseFilteredExpression(from: tag.markupStart, to: tag.markupEnd), offset: tag.offset)
    }
}
