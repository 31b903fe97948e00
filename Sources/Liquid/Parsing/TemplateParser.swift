/// A tag as the parser hands it to the tag's own parse function.
struct TagToken {
    let name: String
    /// Byte range of the markup after the name.
    let markupStart: Int
    let markupEnd: Int
    /// Byte offset of the tag's start, where errors about the tag point.
    let offset: Int
    let trimRight: Bool
}

/// Builds the node tree of one template: block structure, white-space control, tag dispatch.
final class TemplateParser {
    struct Item {
        enum Kind { case text, output, tag, malformed, verbatim }
        let kind: Kind
        let token: TemplateToken
        let tag: TagToken?
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let environment: Environment
    let errorMode: ErrorMode
    var items: [Item]
    var index = 0
    var depth: Int
    /// Whether the liquid tag's line mode is active (no text, no outputs).
    let lineMode: Bool
    /// Set by a `-%}` or `-}}`: strip leading white space from the next text.
    var trimNext = false
    /// The source being parsed, which its block bodies keep for mapped renders.
    var file: SourceFile?

    static let maxDepth = 100

    init(bytes: UnsafeBufferPointer<UInt8>, environment: Environment, errorMode: ErrorMode) {
        self.bytes = bytes
        self.environment = environment
        self.errorMode = errorMode
        self.depth = 0
        self.lineMode = false
        let tokens = Tokenizer.tokenize(bytes)
        var items: [Item] = []
        items.reserveCapacity(tokens.count)
        for t in tokens {
            switch t.kind {
            case .text: items.append(Item(kind: .text, token: t, tag: nil))
            case .verbatim: items.append(Item(kind: .verbatim, token: t, tag: nil))
            case .output: items.append(Item(kind: t.terminated ? .output : .malformed, token: t, tag: nil))
            case .tag:
                if t.terminated, let tag = Self.tagToken(bytes, t) {
                    items.append(Item(kind: .tag, token: t, tag: tag))
                } else {
                    items.append(Item(kind: .malformed, token: t, tag: nil))
                }
            }
        }
        self.items = items
    }

    /// A parser over the lines of a `{% liquid %}` tag.
    init(lines tags: [TagToken], parent: TemplateParser) {
        bytes = parent.bytes
        environment = parent.environment
        errorMode = parent.errorMode
        depth = parent.depth
        file = parent.file
        lineMode = true
        items = tags.map {
            Item(kind: .tag, token: TemplateToken(kind: .tag, start: $0.offset, end: $0.markupEnd, trimLeft: false,
                                                   trimRight: false, markupStart: $0.markupStart,
                                                   markupEnd: $0.markupEnd, terminated: true), tag: $0)
        }
    }

    /// The name and markup of a `{% name markup %}` token, or `nil` when it has no name.
    static func tagToken(_ bytes: UnsafeBufferPointer<UInt8>, _ t: TemplateToken) -> TagToken? {
        var i = t.markupStart
        while i < t.markupEnd && isRubyWhitespace(bytes[i]) { i += 1 }
        let nameStart = i
        if i < t.markupEnd && bytes[i] == UInt8(ascii: "#") {
            i += 1
        } else {
            while i < t.markupEnd && isWordByte(bytes[i]) { i += 1 }
        }
        guard i > nameStart else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<i]), as: UTF8.self)
        while i < t.markupEnd && isRubyWhitespace(bytes[i]) { i += 1 }
        var end = t.markupEnd
        while end > i && isRubyWhitespace(bytes[end - 1]) { end -= 1 }
        return TagToken(name: name, markupStart: i, markupEnd: end, offset: t.start, trimRight: t.trimRight)
    }

    func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    func markup(_ tag: TagToken) -> String { text(tag.markupStart, tag.markupEnd) }

    func markupParser(_ tag: TagToken) throws(LiquidError) -> MarkupParser {
        try MarkupParser(bytes, from: tag.markupStart, to: tag.markupEnd, filters: environment.filterTable)
    }

    /// Parses the whole template.
    func parseDocument() throws(LiquidError) -> BlockBody {
        let (body, _) = try parseBody(blockName: nil, until: [])
        return body
    }

    /// Parses nodes until one of the tags in `ends`, which it returns; at the end of input that is an error
    /// for a block.
    func parseBody(blockName: String?, until ends: Set<String>, opener: Int? = nil) throws(LiquidError) -> (BlockBody, TagToken?) {
        var sites: [(offset: Int, kind: String)] = []
        return try parseBody(blockName: blockName, until: ends, opener: opener, sites: &sites)
    }

    /// Parses a body, and says where each of its nodes starts and what it is (`text`, `output` or the tag's name).
    func parseBody(blockName: String?, until ends: Set<String>, opener: Int? = nil,
                   sites: inout [(offset: Int, kind: String)]) throws(LiquidError) -> (BlockBody, TagToken?)
    {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw LiquidError.syntax("Nesting too deep", at: opener)
        }
        var nodes: [any Node] = []
        var offsets: [Int] = []
        var blank = true
        while index < items.count {
            let item = items[index]
            index += 1
            switch item.kind {
            case .text:
                var s = item.token.start
                var e = item.token.end
                if trimNext {
                    while s < e && isRubyWhitespace(bytes[s]) { s += 1 }
                    trimNext = false
                }
                if index < items.count && items[index].token.trimLeft {
                    while e > s && isRubyWhitespace(bytes[e - 1]) { e -= 1 }
                }
                guard s < e else { continue }
                let node = TextNode(bytes: bytes[s..<e])
                blank = blank && node.isBlank
                nodes.append(node)
                offsets.append(s)
                sites.append((s, "text"))
            case .verbatim:
                nodes.append(TextNode(bytes: bytes[item.token.start..<item.token.end]))
                offsets.append(item.token.start)
                blank = false
                sites.append((item.token.start, "text"))
            case .output:
                trimNext = item.token.trimRight
                nodes.append(try parseOutput(item.token))
                offsets.append(item.token.start)
                blank = false
                sites.append((item.token.start, "output"))
            case .malformed:
                let raw = text(item.token.start, item.token.end)
                if item.token.kind == .output {
                    throw LiquidError.syntax("Variable '\(raw)' was not properly terminated with '}}'", at: item.token.start)
                }
                throw LiquidError.syntax("Tag '\(raw)' was not properly terminated with '%}'", at: item.token.start)
            case .tag:
                let tag = item.tag!
                trimNext = tag.trimRight
                if ends.contains(tag.name) {
                    return (BlockBody(nodes: nodes, isBlank: blank, offsets: offsets, file: file), tag)
                }
                guard let parse = environment.tags[tag.name] else {
                    throw unknownTag(tag, blockName: blockName)
                }
                let node = try parse(tag, self)
                blank = blank && node.isBlank
                nodes.append(node)
                offsets.append(tag.offset)
                sites.append((tag.offset, tag.name))
            }
        }
        if let blockName {
            throw LiquidError.syntax("'\(blockName)' tag was never closed", at: opener)
        }
        return (BlockBody(nodes: nodes, isBlank: blank, offsets: offsets, file: file), nil)
    }

    func unknownTag(_ tag: TagToken, blockName: String?) -> LiquidError {
        if let blockName {
            if tag.name == "else" || tag.name == "elsif" || tag.name == "when" {
                return .syntax("'\(blockName)' tag does not expect '\(tag.name)' tag", at: tag.offset)
            }
            if tag.name.hasPrefix("end") {
                return .syntax("'\(tag.name)' is not a valid delimiter for \(blockName) tags. use end\(blockName)", at: tag.offset)
            }
        }
        return .syntax("Unknown tag '\(tag.name)'", at: tag.offset)
    }

    func parseOutput(_ token: TemplateToken) throws(LiquidError) -> OutputNode {
        let expression = try parseFilteredExpression(from: token.markupStart, to: token.markupEnd)
        return OutputNode(expression: expression, offset: token.start)
    }

    /// An expression with filters; in lax mode, markup the strict grammar rejects is read the forgiving way.
    func parseFilteredExpression(from start: Int, to end: Int) throws(LiquidError) -> FilteredExpression {
        var s = start
        while s < end && isRubyWhitespace(bytes[s]) { s += 1 }
        if s == end { return FilteredExpression(base: .literal(.null), filters: []) }
        do throws(LiquidError) {
            var p = try MarkupParser(bytes, from: start, to: end, filters: environment.filterTable)
            let e = try p.filteredExpression()
            try p.expectEnd()
            return e
        } catch {
            guard errorMode == .lax else { throw error }
            return LaxParser(bytes: bytes, filters: environment.filterTable).filteredExpression(from: start, to: end)
        }
    }

    /// Skips tokens up to the closing tag of a block whose content is not parsed (`comment`), honouring
    /// nested blocks of the same name; `raw` bodies inside were already set apart by the tokenizer.
    func skipBlock(named name: String, opener: TagToken) throws(LiquidError) -> TagToken {
        var nesting = 1
        while index < items.count {
            let item = items[index]
            index += 1
            guard let tag = item.tag else { continue }
            if tag.name == name { nesting += 1 }
            if tag.name == "end" + name {
                nesting -= 1
                if nesting == 0 {
                    trimNext = tag.trimRight
                    return tag
                }
            }
        }
        throw LiquidError.syntax("'\(name)' tag was never closed", at: opener.offset)
    }

    /// The verbatim source between `{% raw %}` and `{% endraw %}` (or `doc` and `enddoc`), which the tokenizer
    /// set apart.
    func verbatimBody(closing name: String, opener: TagToken) throws(LiquidError) -> [UInt8] {
        var body: [UInt8] = []
        if index < items.count, items[index].kind == .verbatim {
            body = Array(bytes[items[index].token.start..<items[index].token.end])
            index += 1
        }
        guard index < items.count, let tag = items[index].tag, tag.name == name else {
            throw LiquidError.syntax("'\(opener.name)' tag was never closed", at: opener.offset)
        }
        index += 1
        trimNext = tag.trimRight
        return body
    }

    /// The tags on the lines of a `{% liquid %}` markup.
    func liquidLines(_ tag: TagToken) throws(LiquidError) -> [TagToken] {
        var lines: [TagToken] = []
        var lineStart = tag.markupStart
        var i = tag.markupStart
        while i <= tag.markupEnd {
            if i == tag.markupEnd || bytes[i] == UInt8(ascii: "\n") {
                var s = lineStart
                while s < i && isRubyWhitespace(bytes[s]) { s += 1 }
                if s < i {
                    var e = s
                    if bytes[s] == UInt8(ascii: "#") {
                        e = s + 1
                    } else {
                        while e < i && isWordByte(bytes[e]) { e += 1 }
                    }
                    guard e > s else {
                        throw LiquidError.syntax("Expected a tag name in liquid tag, found '\(text(s, i))'", at: s)
                    }
                    var m = e
                    while m < i && isRubyWhitespace(bytes[m]) { m += 1 }
                    var me = i
                    while me > m && isRubyWhitespace(bytes[me - 1]) { me -= 1 }
                    lines.append(TagToken(name: text(s, e), markupStart: m, markupEnd: me, offset: s, trimRight: false))
                }
                lineStart = i + 1
            }
            i += 1
        }
        return lines
    }
}
