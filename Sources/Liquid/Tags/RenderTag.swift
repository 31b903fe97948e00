import Synchronization

/// `{% render 'name', key: value %}`: renders a partial in its own scope; it sees only what is passed.
final class RenderTag: Node {
    let arguments: PartialArguments
    let name: String
    let offset: Int
    let variableName: String
    /// The distinct parameter names (the last of a repeated one wins, as in Shopify) and their expressions.
    let parameterKeys: [String]
    let parameterValues: [Expression]
    /// `parameterKeys` without the partial's variable name, then that name: the scope when a value is passed.
    let keysWithVariable: [String]
    /// The partial, once loaded: this node's environment never changes, so neither does the partial.
    let loaded = Mutex<ParsedTemplate?>(nil)

    init(arguments: PartialArguments, name: String, offset: Int) {
        self.arguments = arguments
        self.name = name
        self.offset = offset
        let variableName = arguments.variableName(for: name)
        self.variableName = variableName
        var keys: [String] = []
        var values: [Expression] = []
        for (key, expression) in arguments.attributes {
            if let i = keys.firstIndex(of: key) {
                values[i] = expression
            } else {
                keys.append(key)
                values.append(expression)
            }
        }
        parameterKeys = keys
        parameterValues = values
        keysWithVariable = keys.filter { $0 != variableName } + [variableName]
    }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        let arguments = try PartialArguments.parse(tag, parser)
        guard case .literal(.string(let name)) = arguments.name else {
            throw LiquidError.syntax("Syntax error in tag 'render' - Template name must be a quoted string", at: tag.offset)
        }
        return RenderTag(arguments: arguments, name: name, offset: tag.offset)
    }

    private func partial(_ context: Context) throws(LiquidError) -> ParsedTemplate {
        do throws(LiquidError) {
            if context.depth + 1 > context.options.limits.maxRenderDepth {
                throw LiquidError(.resourceLimit, "Nesting too deep: more than \(context.options.limits.maxRenderDepth) partials deep")
            }
            if let partial = loaded.withLock({ $0 }) { return partial }
            let partial = try context.engine.partial(name, limits: context.options.limits)
            loaded.withLock { $0 = partial }
            return partial
        } catch {
            throw error.located(at: offset)
        }
    }

    /// The partial's scope: the parameters, then the passed value under the partial's variable name.
    private func scope(_ parameters: [Value], _ value: Value?) -> ScopeStack {
        guard let value, !value.isNil else { return ScopeStack(keys: parameterKeys, values: parameters) }
        var values: [Value] = []
        values.reserveCapacity(parameters.count + 1)
        for (key, v) in zip(parameterKeys, parameters) where key != variableName { values.append(v) }
        values.append(value)
        return ScopeStack(keys: keysWithVariable, values: values)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        let partial = try partial(context)
        var parameters: [Value] = []
        parameters.reserveCapacity(parameterValues.count + 1)
        for e in parameterValues { parameters.append(try context.evaluate(e)) }
        let value = try arguments.variable.map { e throws(LiquidError) in try context.evaluate(e) }
        if arguments.isFor, let value, let items = try Self.iterable(value) {
            let loop = ForloopDrop(name: name, index0: 0, length: items.count, parent: nil)
            for (i, item) in items.enumerated() {
                do throws(LiquidError) {
                    try context.state.chargeIteration(context.options.limits)
                } catch {
                    throw error.located(at: offset)
                }
                loop.index0 = i
                var variables = scope(parameters, item)
                variables.setInnermost("forloop", .drop(loop))
                try partial.render(context.isolatedChild(variables), &out)
            }
            return
        }
        try partial.render(context.isolatedChild(scope(parameters, value)), &out)
    }

    static func iterable(_ value: Value) throws(LiquidError) -> [Value]? {
        switch value {
        case .array(let a): return a
        case .object(let o): return o.pairs.map { .array([.string($0.0), $0.1]) }
        case .range(let lo, let hi): return try Value.rangeElements(lo, hi)
        default: return nil
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("render")
        arguments.analyze(&analysis)
    }
}
