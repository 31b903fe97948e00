/// One piece of template source: literal text, an output `{{ }}` or a tag `{% %}`.
struct TemplateToken {
    /// `verbatim` is the body of `raw` or `doc`, found by the tokenizer so nothing inside is tokenized.
    enum Kind { case text, output, tag, verbatim }
    let kind: Kind
    /// Byte range of the whole token in the source.
    let start: Int
    let end: Int
    /// `{{-` or `{%-`.
    let trimLeft: Bool
    /// `-}}` or `-%}`.
    let trimRight: Bool
    /// Byte range of the markup between the delimiters and whitespace-control dashes.
    let markupStart: Int
    let markupEnd: Int
    /// Whether the token ends with its proper terminator (`}}` or `%}`).
    let terminated: Bool
}

/// Splits source into tokens the way Shopify's tokenizer does: a tag runs to the first `%}`,
/// an output to the first `}` (taking a second `}` when present).
struct Tokenizer {
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>) -> [TemplateToken] {
        var tokens: [TemplateToken] = []
        let n = bytes.count
        var pos = 0
        var textStart = 0
        while pos + 1 < n {
            guard bytes[pos] == UInt8(ascii: "{") else {
                pos += 1
                continue
            }
            let next = bytes[pos + 1]
            guard next == UInt8(ascii: "{") || next == UInt8(ascii: "%") else {
                pos += 1
                continue
            }
            if textStart < pos {
                tokens.append(text(textStart, pos))
            }
            let start = pos
            let isTag = next == UInt8(ascii: "%")
            var i = pos + 2
            var end = -1
            if isTag {
                while i + 1 < n {
                    if bytes[i] == UInt8(ascii: "%") && bytes[i + 1] == UInt8(ascii: "}") {
                        end = i + 2
                        break
                    }
                    i += 1
                }
            } else {
                while i < n {
                    if bytes[i] == UInt8(ascii: "}") {
                        end = (i + 1 < n && bytes[i + 1] == UInt8(ascii: "}")) ? i + 2 : i + 1
                        break
                    }
                    i += 1
                }
            }
            guard end > 0 else {
                // An opening delimiter with no terminator: the token is the delimiter alone, as in Shopify.
                tokens.append(TemplateToken(kind: isTag ? .tag : .output, start: start, end: start + 2,
                                            trimLeft: false, trimRight: false, markupStart: start + 2,
                                            markupEnd: start + 2, terminated: false))
                pos = start + 2
                textStart = pos
                continue
            }
            let terminated = end - start >= 4 && bytes[end - 2] == (isTag ? UInt8(ascii: "%") : UInt8(ascii: "}"))
                && bytes[end - 1] == UInt8(ascii: "}")
            var markupStart = start + 2
            var markupEnd = terminated ? end - 2 : end
            let trimLeft = markupStart < markupEnd && bytes[markupStart] == UInt8(ascii: "-")
            if trimLeft { markupStart += 1 }
            let trimRight = terminated && markupEnd > markupStart && bytes[markupEnd - 1] == UInt8(ascii: "-")
            if trimRight { markupEnd -= 1 }
            tokens.append(TemplateToken(kind: isTag ? .tag : .output, start: start, end: end, trimLeft: trimLeft,
                                        trimRight: trimRight, markupStart: markupStart, markupEnd: markupEnd,
                                        terminated: terminated))
            pos = end
            textStart = end
            if isTag && terminated, let name = verbatimBlockName(bytes, markupStart, markupEnd),
               let close = findClosingTag("end" + name, in: bytes, from: end)
            {
                if close.start > end {
                    tokens.append(TemplateToken(kind: .verbatim, start: end, end: close.start, trimLeft: false, trimRight: false,
                                                markupStart: end, markupEnd: close.start, terminated: true))
                }
                tokens.append(close)
                pos = close.end
                textStart = close.end
            }
        }
        if textStart < n {
            tokens.append(text(textStart, n))
        }
        return tokens
    }

    /// `raw` or `doc` when the tag markup names one of them.
    private static func verbatimBlockName(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        var i = start
        while i < end && isRubyWhitespace(bytes[i]) { i += 1 }
        let s = i
        while i < end && isWordByte(bytes[i]) { i += 1 }
        switch i - s {
        case 3:
            let word = (bytes[s], bytes[s + 1], bytes[s + 2])
            if word == (UInt8(ascii: "r"), UInt8(ascii: "a"), UInt8(ascii: "w")) { return "raw" }
            if word == (UInt8(ascii: "d"), UInt8(ascii: "o"), UInt8(ascii: "c")) { return "doc" }
            return nil
        default:
            return nil
        }
    }

    /// The first `{%-? name -?%}` at or after `from`.
    private static func findClosingTag(_ name: String, in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> TemplateToken? {
        let word = Array(name.utf8)
        var i = from
        while i + 1 < bytes.count {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "%") else { continue }
            var j = i + 2
            let trimLeft = j < bytes.count && bytes[j] == UInt8(ascii: "-")
            if trimLeft { j += 1 }
            while j < bytes.count && isRubyWhitespace(bytes[j]) { j += 1 }
            guard j + word.count <= bytes.count, bytes[j..<(j + word.count)].elementsEqual(word) else { continue }
            let markupStart = j
            j += word.count
            let markupEnd = j
            while j < bytes.count && isRubyWhitespace(bytes[j]) { j += 1 }
            let trimRight = j < bytes.count && bytes[j] == UInt8(ascii: "-")
            if trimRight { j += 1 }
            guard j + 1 < bytes.count, bytes[j] == UInt8(ascii: "%"), bytes[j + 1] == UInt8(ascii: "}") else { continue }
            return TemplateToken(kind: .tag, start: i, end: j + 2, trimLeft: trimLeft, trimRight: trimRight,
                                 markupStart: markupStart, markupEnd: markupEnd, terminated: true)
        }
        return nil
    }

    private static func text(_ start: Int, _ end: Int) -> TemplateToken {
        TemplateToken(kind: .text, start: start, end: end, trimLeft: false, trimRight: false,
                      markupStart: start, markupEnd: end, terminated: true)
    }
}
