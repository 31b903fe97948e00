/// `{% break %}` and `{% continue %}` inside loops.
struct InterruptTag: Node {
    let interrupt: Context.Interrupt

    static func parseBreak(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        InterruptTag(interrupt: .breakLoop)
    }

    static func parseContinue(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        InterruptTag(interrupt: .continueLoop)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        context.interrupt = interrupt
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag(interrupt == .breakLoop ? "break" : "continue")
    }
}
