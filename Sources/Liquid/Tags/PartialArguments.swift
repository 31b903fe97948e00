/// The markup shared by `render` and `include`: `'name' [with|for expr] [as alias] [, key: value ...]`.
struct PartialArguments: Sendable {
    let name: Expression
    let variable: Expression?
    let isFor: Bool
    let alias: String?
    let attributes: [(String, Expression)]

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> PartialArguments {
        var p = try parser.markupParser(tag)
        let name = try p.expression()
        var variable: Expression?
        var isFor = false
        var alias: String?
        if p.isKeyword("with") || p.isKeyword("for") {
            isFor = p.isKeyword("for")
            p.pos += 1
            variable = try p.expression()
        }
        if p.keyword("as") {
            alias = p.text(try p.consume(.identifier, "an alias name"))
        }
        var attributes: [(String, Expression)] = []
        while !p.atEnd {
            if p.consumeIf(.comma) != nil { continue }
            let key = try p.consume(.identifier, "a parameter name")
            try p.consume(.colon, "':'")
            attributes.append((p.text(key), try p.expression()))
        }
        return PartialArguments(name: name, variable: variable, isFor: isFor, alias: alias, attributes: attributes)
    }

    /// The variable the partial sees its `with`/`for` value as: the alias, or the partial's base name.
    func variableName(for templateName: String) -> String {
        alias ?? String(templateName.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        if case .literal(.string(let n)) = name { analysis.partial(n) } else { analysis.add(name) }
        if let variable { analysis.add(variable) }
        for (_, e) in attributes { analysis.add(e) }
    }
}
