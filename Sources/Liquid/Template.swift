/// A parsed template, ready to render any number of times from any thread.
public struct Template: Sendable {
    let parsed: ParsedTemplate
    public let environment: Environment

    public var name: String? { parsed.name }
    public var source: String { parsed.source }

    /// Renders with `data` as the top-level variables.
    /// - Throws: ``LiquidError`` located in this template or the partial that failed.
    public func render(_ data: Value = .object(LiquidObject()), options: RenderOptions = RenderOptions()) throws(LiquidError) -> String {
        var out = OutputBuffer(capacity: max(256, parsed.source.utf8.count * 2))
        try render(data, options: options, into: &out)
        return out.string
    }

    /// Renders into an existing buffer, so a pipeline can reuse one.
    public func render(_ data: Value, options: RenderOptions = RenderOptions(), into out: inout OutputBuffer) throws(LiquidError) {
        let variables: LiquidObject
        switch data {
        case .object(let o): variables = o
        case .null: variables = LiquidObject()
        default: throw LiquidError.argument("render data must be an object")
        }
        let context = Context(data: variables, state: RenderState(options: options, engine: environment))
        try parsed.render(context, &out)
    }

    /// Renders as ``render(_:options:)`` does, and says which node of which template (this one, a partial, a layout)
    /// wrote each stretch of the output. Slower than a plain render: for locating a problem found in the output.
    public func renderMapped(_ data: Value, options: RenderOptions = RenderOptions()) throws(LiquidError) -> (output: String, map: SourceMap) {
        let variables: LiquidObject
        switch data {
        case .object(let o): variables = o
        case .null: variables = LiquidObject()
        default: throw LiquidError.argument("render data must be an object")
        }
        let state = RenderState(options: options, engine: environment)
        let builder = SourceMapBuilder()
        state.sourceMap = builder
        var out = OutputBuffer(capacity: max(256, parsed.source.utf8.count * 2))
        try parsed.render(Context(data: variables, state: state), &out)
        let bytes = Array(out.string.utf8)
        return (out.string, SourceMap(marks: builder.marks, output: bytes))
    }

    /// The variables, filters and tags the template uses, without rendering it.
    public var analysis: TemplateAnalysis {
        var a = TemplateAnalysis()
        parsed.body.analyze(&a)
        return a
    }
}

/// A place in a template's file, and what is there.
public struct TemplateSite: Sendable, Equatable {
    public let name: String
    public let line: Int
    public let column: Int
}

/// How a template that starts with `{% extends %}` fits its layout.
public struct Inheritance: Sendable {
    /// The layout it names.
    public let layout: String
    /// The blocks it fills at its top level, in source order (the site's name is the block's); blocks inside them
    /// render with them, wherever the layout has their outer block.
    public let blocks: [TemplateSite]
    /// What it writes or does outside its blocks, which is never rendered: the site's name is `text`, `output`
    /// or the tag's name. White space and comments are not listed.
    public let outside: [TemplateSite]
}

extension Template {
    /// For a template that extends a layout, the layout, its blocks and what it has outside them; `nil` for others.
    public var inheritance: Inheritance? {
        guard let extends = parsed.body.nodes.lazy.compactMap({ $0 as? ExtendsTag }).first else { return nil }
        func site(_ name: String, _ offset: Int) -> TemplateSite {
            let position = SourcePosition(offset: offset, in: parsed.source, firstLine: parsed.firstLine)
            return TemplateSite(name: name, line: position.line, column: position.column)
        }
        let topLevel = extends.body.nodes.compactMap { $0 as? BlockTag }
        return Inheritance(layout: extends.parent, blocks: topLevel.map { site($0.name, $0.offset) },
                           outside: extends.outside.map { site($0.kind, $0.offset) })
    }
}
