/// `{% render 'name', key: value %}`: renders a partial in its own scope; it sees only what is passed.
final class RenderTag: Node {
    let arguments: PartialArguments
    let name: String
    let offset: Int
    let variableName: String

    init(arguments: PartialArguments, name: String, offset: Int) {
        self.arguments = arguments
        self.name = name
        self.offset = offset
        self.variableName = arguments.variableName(for: name)
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        let arguments = try PartialArguments.parse(tag, parser)
        guard case .literal(.string(let name)) = arguments.name else {
            throw LiquidError.syntax("Syntax error in tag 'render' - Template name must be a quoted string", at: tag.offset)
        }
        return RenderTag(arguments: arguments, name: name, offset: tag.offset)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let partial: ParsedTemplate
        do throws(LiquidError) {
            if context.depth + 1 > context.options.limits.maxRenderDepth {
                throw LiquidError(.resourceLimit, "Nesting too deep: more than \(context.options.limits.maxRenderDepth) partials deep")
            }
            partial = try context.engine.partial(name, limits: context.options.limits)
        } catch {
            throw error.located(at: offset)
        }
        var base = LiquidObject()
        for (key, e) in arguments.attributes { base[key] = try context.evaluate(e) }
        let value = try arguments.variable.map { e throws(LiquidError) in try context.evaluate(e) }
        if arguments.isFor, let value, let items = Self.iterable(value) {
            for (i, item) in items.enumerated() {
                try context.budget.chargeIteration(context.options.limits)
                var variables = base
                variables["forloop"] = .drop(ForloopDrop(name: name, index0: i, length: items.count, parent: nil))
                variables[variableName] = item
                try partial.render(context.isolatedChild(variables), &out)
            }
            return
        }
        var variables = base
        if let value, !value.isNil { variables[variableName] = value }
        try partial.render(context.isolatedChild(variables), &out)
    }

    static func iterable(_ value: Value) -> [Value]? {
        switch value {
        case .array(let a): return a
        case .object(let o): return o.pairs.map { .array([.string($0.0), $0.1]) }
        case .range(let lo, let hi): return hi >= lo ? (lo...hi).map { .int($0) } : []
        default: return nil
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("render")
        arguments.analyze(&analysis)
    }
}
