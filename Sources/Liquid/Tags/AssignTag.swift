/// `{% assign name = expression | filters %}`: sets a variable in the template's outermost scope.
final class AssignTag: Node {
    let name: String
    let value: FilteredExpression
    let offset: Int

    init(name: String, value: FilteredExpression, offset: Int) {
        self.name = name
        self.value = value
        self.offset = offset
    }

    var isBlank: Bool { true }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var eq = tag.markupStart
        while eq < tag.markupEnd && parser.bytes[eq] != UInt8(ascii: "=") { eq += 1 }
        guard eq < tag.markupEnd else {
            throw LiquidError.syntax("Syntax error in 'assign' - Valid syntax: assign [var] = [source]", at: tag.offset)
        }
        var nameEnd = eq
        while nameEnd > tag.markupStart && isRubyWhitespace(parser.bytes[nameEnd - 1]) { nameEnd -= 1 }
        let name = try parseVariableName(parser, from: tag.markupStart, to: nameEnd, tag: "assign", at: tag.offset)
        let value = try parser.parseFilteredExpression(from: eq + 1, to: tag.markupEnd)
        return AssignTag(name: name, value: value, offset: tag.offset)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        do throws(LiquidError) {
            try context.assign(name, try value.evaluate(context))
        } catch {
            throw error.located(at: offset)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("assign")
        analysis.add(value)
        analysis.assign(name)
    }
}
