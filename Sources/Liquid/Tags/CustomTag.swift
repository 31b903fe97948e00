/// A tag added to an ``Environment`` from outside the engine: `{% name arguments %}`, or for a block,
/// `{% name arguments %}body{% endname %}`.
///
/// The markup is read as a filter's arguments are (`a, b, key: c`, each an expression); the tag's function gets
/// them evaluated, the rendered body for a block, and the render's context, and returns the value to output. The
/// value is written as `{{ }}` writes one: escaped when the render escapes, so a tag cannot slip user data past
/// autoescaping. It is charged to the render's work like a filter's result.
///
/// ```swift
/// let greet = CustomTag("greet") { arguments, _, _ in .string("Hello, \(arguments[0]?.description ?? "you")") }
/// let shout = CustomTag("shout", isBlock: true) { _, body, _ in .string((body ?? "").uppercased()) }
/// let env = Environment(extraTags: [greet, shout])
/// try env.parse("{% greet user.name %} {% shout %}hi{% endshout %}").render(["user": ["name": "Ada"]])
/// // "Hello, Ada HI"
/// ```
public struct CustomTag: Sendable {
    public typealias Render = @Sendable (_ arguments: FilterArguments, _ body: String?, _ context: Context) throws -> Value

    public let name: String
    public let isBlock: Bool
    public let render: Render

    public init(_ name: String, isBlock: Bool = false, render: @escaping Render) {
        self.name = name
        self.isBlock = isBlock
        self.render = render
    }

    var parse: TagParse {
        { [self] tag, parser throws(LiquidError) in
            var markup = try parser.markupParser(tag)
            let (positional, keywords) = markup.atEnd ? ([], []) : try markup.argumentList()
            try markup.expectEnd()
            var body: BlockBody?
            if isBlock {
                (body, _) = try parser.parseBody(blockName: name, until: ["end" + name], opener: tag.offset)
            }
            return CustomTagNode(tag: self, positional: positional, keywords: keywords, body: body, offset: tag.offset)
        }
    }
}

final class CustomTagNode: Node {
    let tag: CustomTag
    let positional: [Expression]
    let keywords: [(String, Expression)]
    let keywordNames: [String]
    let body: BlockBody?
    let offset: Int

    init(tag: CustomTag, positional: [Expression], keywords: [(String, Expression)], body: BlockBody?, offset: Int) {
        self.tag = tag
        self.positional = positional
        self.keywords = keywords
        keywordNames = keywords.map(\.0)
        self.body = body
        self.offset = offset
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        do throws(LiquidError) {
            let arguments = try context.evaluate(positional, keywords, names: keywordNames)
            var rendered: String?
            if let body {
                var inner = OutputBuffer(capacity: 256)
                try context.state.unmapped { () throws(LiquidError) in try body.render(context, &inner) }
                rendered = inner.string
            }
            let value: Value
            do {
                value = try tag.render(arguments, rendered, context)
            } catch let error as LiquidError {
                throw error
            } catch {
                throw LiquidError.argument("\(tag.name): \(error)")
            }
            try context.state.charge(work: value.workSize)
            out.append(value, escape: context.options.autoescape)
        } catch {
            throw error.located(at: offset)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag(tag.name)
        for e in positional { analysis.add(e) }
        for (_, e) in keywords { analysis.add(e) }
        body?.analyze(&analysis)
    }
}
