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

    /// The variables, filters and tags the template uses, without rendering it.
    public var analysis: TemplateAnalysis {
        var a = TemplateAnalysis()
        parsed.body.analyze(&a)
        return a
    }
}
