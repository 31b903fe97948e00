/// Template inheritance, as python-liquid and Jinja have it: a layout marks the parts a page may replace with
/// `{% block name %}default{% endblock %}`; a page starts with `{% extends 'layouts/email' %}` and gives its own
/// `{% block name %}...{% endblock %}` for the parts it changes. Inside a block, `{{ block.super }}` is what the
/// layout (or the page's nearer parent) had there. Outside its blocks a page that extends outputs nothing.
///
/// Not Shopify Liquid: these two tags are this engine's extension, so email layouts can keep header, footer and
/// styles in one file.
enum LayoutTags {
    static let all: [String: TagParse] = [
        "extends": ExtendsTag.parse,
        "block": BlockTag.parse,
    ]
}

/// `{% extends 'layout' %}`: the rest of the template supplies blocks; the layout renders with them.
final class ExtendsTag: Node {
    let parent: String
    let offset: Int
    /// Every block the template defines, at any depth, by name.
    let blocks: [String: BlockTag]
    let body: BlockBody
    /// What the template writes or does outside its blocks, which is never rendered: where, and what (`text`,
    /// `output` or a tag's name). Comments and white space are left out.
    let outside: [(offset: Int, kind: String)]

    init(parent: String, offset: Int, body: BlockBody, outside: [(offset: Int, kind: String)] = []) throws(LiquidError) {
        self.parent = parent
        self.offset = offset
        self.body = body
        self.outside = outside
        var blocks: [String: BlockTag] = [:]
        func collect(_ nodes: [any Node]) throws(LiquidError) {
            for node in nodes {
                guard let block = node as? BlockTag else { continue }
                if blocks[block.name] != nil {
                    throw LiquidError.syntax("block '\(block.name)' is defined twice", at: block.offset)
                }
                blocks[block.name] = block
                try collect(block.body.nodes)
            }
        }
        try collect(body.nodes)
        self.blocks = blocks
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        guard parser.depth == 1 else {
            throw LiquidError.syntax("'extends' must be the template's first tag, outside any block", at: tag.offset)
        }
        let markup = parser.text(tag.markupStart, tag.markupEnd).trimmingRubyWhitespace()
        guard markup.count >= 2, let quote = markup.first, quote == "'" || quote == "\"", markup.last == quote else {
            throw LiquidError.syntax("Syntax error in tag 'extends' - the layout's name must be a quoted string", at: tag.offset)
        }
        let name = String(markup.dropFirst().dropLast())
        // The rest of the template belongs to the page: its blocks.
        var sites: [(offset: Int, kind: String)] = []
        let (body, _) = try parser.parseBody(blockName: nil, until: [], sites: &sites)
        let outside = zip(body.nodes, sites).filter { node, _ in
            !(node is BlockTag || node is CommentTag || (node as? TextNode)?.isBlank == true)
        }.map { node, site in
            // Text is placed at its first visible character.
            let skipped = (node as? TextNode)?.bytes.prefix { isRubyWhitespace($0) }.count ?? 0
            return (offset: site.offset + skipped, kind: site.kind)
        }
        return try ExtendsTag(parent: name, offset: tag.offset, body: body, outside: outside)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let state = context.state
        let limits = context.options.limits
        do throws(LiquidError) {
            state.layoutDepth += 1
            defer { state.layoutDepth -= 1 }
            if state.layoutDepth > limits.maxRenderDepth {
                throw LiquidError(.resourceLimit, "Nesting too deep: more than \(limits.maxRenderDepth) layouts deep")
            }
            // This template is nearer the page than the layout it extends, so its blocks go after any already
            // registered by a template extending this one (those win).
            for (name, block) in blocks { state.blockChains[name, default: []].append(block) }
            let layout = try context.engine.partial(parent, limits: limits)
            try layout.render(context, &out)
        } catch {
            throw error.located(at: offset)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("extends")
        analysis.partial(parent)
        body.analyze(&analysis)
    }
}

/// `{% block name %}default{% endblock %}`: in a layout, the part a page may replace; in a page, the replacement.
final class BlockTag: Node {
    let name: String
    let body: BlockBody
    let offset: Int
    /// Whether the body reads `block.super` (only then is the parent's version rendered first).
    let readsSuper: Bool

    init(name: String, body: BlockBody, offset: Int) {
        self.name = name
        self.body = body
        self.offset = offset
        var analysis = TemplateAnalysis()
        body.analyze(&analysis)
        readsSuper = analysis.variables.contains("block.super")
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        let name = parser.text(tag.markupStart, tag.markupEnd).trimmingRubyWhitespace()
        guard !name.isEmpty, name.utf8.allSatisfy(isIdentifierByte) else {
            throw LiquidError.syntax("Syntax error in tag 'block' - expected a block name such as {% block footer %}", at: tag.offset)
        }
        let (body, end) = try parser.parseBody(blockName: "block", until: ["endblock"], opener: tag.offset)
        if let end {
            let closing = parser.text(end.markupStart, end.markupEnd).trimmingRubyWhitespace()
            if !closing.isEmpty && closing != name {
                throw LiquidError.syntax("'endblock \(closing)' closes block '\(name)'", at: end.offset)
            }
        }
        return BlockTag(name: name, body: body, offset: tag.offset)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        // The versions of this block from the page up to this layout: the first wins, `block.super` steps down.
        guard let chain = context.state.blockChains[name], !chain.isEmpty else {
            try render([self][...], context, &out)
            return
        }
        try render((chain + [self])[...], context, &out)
    }

    private func render(_ versions: ArraySlice<BlockTag>, _ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        guard let version = versions.first else { return }
        guard version.readsSuper else {
            try version.body.render(context, &out)
            return
        }
        var parent = OutputBuffer(capacity: 256)
        try context.state.unmapped { () throws(LiquidError) in try render(versions.dropFirst(), context, &parent) }
        context.pushScope()
        defer { context.popScope() }
        context.setLocal("block", .object(LiquidObject([("name", .string(name)), ("super", .string(parent.string))])))
        try version.body.render(context, &out)
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("block")
        analysis.block(name)
        analysis.withLocals(["block"]) { body.analyze(&$0) }
    }
}
