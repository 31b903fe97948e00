/// Every standard Liquid tag, by name.
enum StandardTags {
    static let all: [String: TagParse] = [
        "assign": AssignTag.parse,
        "capture": CaptureTag.parse,
        "case": CaseTag.parse,
        "comment": CommentTag.parse,
        "doc": CommentTag.parseDoc,
        "#": CommentTag.parseInline,
        "cycle": CycleTag.parse,
        "increment": CounterTag.parseIncrement,
        "decrement": CounterTag.parseDecrement,
        "echo": EchoTag.parse,
        "for": ForTag.parse,
        "break": InterruptTag.parseBreak,
        "continue": InterruptTag.parseContinue,
        "if": IfTag.parseIf,
        "unless": IfTag.parseUnless,
        "ifchanged": IfChangedTag.parse,
        "include": IncludeTag.parse,
        "render": RenderTag.parse,
        "liquid": LiquidTag.parse,
        "raw": RawTag.parse,
        "tablerow": TablerowTag.parse,
    ]
}

/// The variable name of `assign`, `capture`, `increment` and loops: a word that may hold `-` but not start with it.
func parseVariableName(_ parser: TemplateParser, from start: Int, to end: Int, tag: String, at offset: Int) throws(LiquidError) -> String {
    let name = parser.text(start, end)
    let bytes = Array(name.utf8)
    let valid = !bytes.isEmpty && bytes[0] != UInt8(ascii: "-") && bytes.allSatisfy(isIdentifierByte)
    if !valid && !(parser.errorMode == .lax && !bytes.isEmpty && !bytes.contains(where: isRubyWhitespace)) {
        throw LiquidError.syntax("Invalid variable name '\(name)' in '\(tag)' tag", at: offset)
    }
    return name
}
