/// `{% capture name %}...{% endcapture %}`: renders its body into a variable.
final class CaptureTag: Node {
    let name: String
    let body: BlockBody
    let offset: Int

    init(name: String, body: BlockBody, offset: Int) {
        self.name = name
        self.body = body
        self.offset = offset
    }

    var isBlank: Bool { true }

    static func parse(_ tag: TagToken, _ parser: TemplateParser) throws(LiquidError) -> any Node {
        var start = tag.markupStart, end = tag.markupEnd
        if end - start >= 2, parser.bytes[start] == parser.bytes[end - 1],
           parser.bytes[start] == UInt8(ascii: "'") || parser.bytes[start] == UInt8(ascii: "\"")
        {
            start += 1
            end -= 1
        }
        let name = try parseVariableName(parser, from: start, to: end, tag: "capture", at: tag.offset)
        let (body, _) = try parser.parseBody(blockName: "capture", until: ["endcapture"], opener: tag.offset)
        return CaptureTag(name: name, body: body, offset: tag.offset)
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        var captured = OutputBuffer(capacity: 256)
        try context.state.unmapped { () throws(LiquidError) in try body.render(context, &captured) }
        do throws(LiquidError) {
            try context.assign(name, .string(captured.string))
        } catch {
            throw error.located(at: offset)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.tag("capture")
        body.analyze(&analysis)
        analysis.assign(name)
    }
}
