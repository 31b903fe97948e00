/// `{% break %}` and `{% continue %}` inside loops.
final class InterruptTag: Node {
    let interrupt: Context.Interrupt

    init(interrupt: Context.Interrupt) {
        self.interrupt = interrupt
    }

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
