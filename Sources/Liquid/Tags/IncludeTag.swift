/// `{% include 'name' %}`: renders a partial in the caller's scope (it sees and may change the caller's variables).
final class IncludeTag: Node {
    let arguments: PartialArguments
    let offset: Int

    init(arguments: PartialArguments, offset: Int) {
        self.arguments = arguments
        self.offset = offset
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        IncludeTag(arguments: try PartialArguments.parse(tag, parser), offset: tag.offset)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let partial: ParsedTemplate
        let name: String
        do throws(LiquidError) {
            if context.isolated {
                throw LiquidError.syntax("include usage is not allowed in this context")
            }
            guard case .string(let n) = try context.evaluate(arguments.name) else {
                throw LiquidError.argument("Argument error in tag 'include' - Illegal template name")
            }
            name = n
            if context.depth + 1 > context.options.limits.maxRenderDepth {
                throw LiquidError(.resourceLimit, "Nesting too deep: more than \(context.options.limits.maxRenderDepth) partials deep")
            }
            partial = try context.engine.partial(name, limits: context.options.limits)
        } catch {
            throw error.located(at: offset)
        }
        let value: Value
        if let v = arguments.variable {
            value = try context.evaluate(v)
        } else {
            value = context.find(name) ?? .null
        }
        let variableName = arguments.variableName(for: name)
        context.depth += 1
        context.pushScope()
        defer {
            context.popScope()
            context.depth -= 1
        }
        for (key, e) in arguments.attributes { context.setLocal(key, try context.evaluate(e)) }
        if case .array(let items) = value {
            for item in items {
                context.setLocal(variableName, item)
                try partial.render(context, &out)
            }
        } else {
            context.setLocal(variableName, value)
            try partial.render(context, &out)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("include")
        arguments.analyze(&analysis)
    }
}
