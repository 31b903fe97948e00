/// `{% increment n %}` prints then adds one; `{% decrement n %}` subtracts one then prints.
/// Counters start at 0, live apart from assigned variables, and are shared with the render's data as in Shopify.
final class CounterTag: Node {
    let name: String
    let step: Int

    init(name: String, step: Int) {
        self.name = name
        self.step = step
    }

    static func parseIncrement(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        CounterTag(name: try parseVariableName(parser, from: tag.markupStart, to: tag.markupEnd, tag: "increment", at: tag.offset), step: 1)
    }

    static func parseDecrement(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        CounterTag(name: try parseVariableName(parser, from: tag.markupStart, to: tag.markupEnd, tag: "decrement", at: tag.offset), step: -1)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        var value = 0
        switch context.environment[name] {
        case .int(let i)?: value = i
        case .double(let d)? where d.isFinite: value = d.saturatingInt
        default: break
        }
        if step > 0 {
            out.appendInteger(value)
            context.environment[name] = .int(value &+ 1)
        } else {
            value = value &- 1
            context.environment[name] = .int(value)
            out.appendInteger(value)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) { analysis.tag(step > 0 ? "increment" : "decrement") }
}
