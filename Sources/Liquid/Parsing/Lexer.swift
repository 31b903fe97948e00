/// A token of tag or output markup.
struct Token: Equatable {
    enum Kind: UInt8 {
        case identifier, string, integer, float, comparison
        case dot, dotDot, comma, colon, pipe, openSquare, closeSquare, openRound, closeRound
        case question, dash, equals
        case end
    }

    let kind: Kind
    /// Byte range in the template source; for strings, without the quotes.
    let start: Int
    let end: Int
}

/// Splits markup into tokens, following Shopify's strict lexer (identifiers may hold `-` and end in `?`;
/// strings have no escapes; `contains` is an operator only when followed by white space).
struct Lexer {
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) throws(LiquidError) -> [Token] {
        var tokens: [Token] = []
        var i = start
        @inline(__always) func at(_ j: Int) -> UInt8 { j < end ? bytes[j] : 0 }
        while i < end {
            let c = bytes[i]
            if isRubyWhitespace(c) {
                i += 1
                continue
            }
            let s = i
            switch c {
            case UInt8(ascii: "="):
                if at(i + 1) == UInt8(ascii: "=") {
                    tokens.append(Token(kind: .comparison, start: s, end: i + 2))
                    i += 2
                } else {
                    tokens.append(Token(kind: .equals, start: s, end: i + 1))
                    i += 1
                }
            case UInt8(ascii: "!"):
                guard at(i + 1) == UInt8(ascii: "=") else {
                    throw LiquidError.syntax("Unexpected character !", at: s)
                }
                tokens.append(Token(kind: .comparison, start: s, end: i + 2))
                i += 2
            case UInt8(ascii: "<"):
                let len = (at(i + 1) == UInt8(ascii: ">") || at(i + 1) == UInt8(ascii: "=")) ? 2 : 1
                tokens.append(Token(kind: .comparison, start: s, end: i + len))
                i += len
            case UInt8(ascii: ">"):
                let len = at(i + 1) == UInt8(ascii: "=") ? 2 : 1
                tokens.append(Token(kind: .comparison, start: s, end: i + len))
                i += len
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                var j = i + 1
                while j < end && bytes[j] != c { j += 1 }
                guard j < end else { throw LiquidError.syntax("Unterminated string literal", at: s) }
                tokens.append(Token(kind: .string, start: i + 1, end: j))
                i = j + 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                var j = i
                if c == UInt8(ascii: "-") {
                    guard isDigit(at(i + 1)) else {
                        tokens.append(Token(kind: .dash, start: s, end: i + 1))
                        i += 1
                        continue
                    }
                    j += 1
                }
                while j < end && isDigit(bytes[j]) { j += 1 }
                if at(j) == UInt8(ascii: ".") && isDigit(at(j + 1)) {
                    j += 1
                    while j < end && isDigit(bytes[j]) { j += 1 }
                    tokens.append(Token(kind: .float, start: s, end: j))
                } else {
                    tokens.append(Token(kind: .integer, start: s, end: j))
                }
                i = j
            case UInt8(ascii: "."):
                if at(i + 1) == UInt8(ascii: ".") {
                    tokens.append(Token(kind: .dotDot, start: s, end: i + 2))
                    i += 2
                } else {
                    tokens.append(Token(kind: .dot, start: s, end: i + 1))
                    i += 1
                }
            case UInt8(ascii: ","): tokens.append(Token(kind: .comma, start: s, end: i + 1)); i += 1
            case UInt8(ascii: ":"): tokens.append(Token(kind: .colon, start: s, end: i + 1)); i += 1
            case UInt8(ascii: "|"): tokens.append(Token(kind: .pipe, start: s, end: i + 1)); i += 1
            case UInt8(ascii: "["): tokens.append(Token(kind: .openSquare, start: s, end: i + 1)); i += 1
            case UInt8(ascii: "]"): tokens.append(Token(kind: .closeSquare, start: s, end: i + 1)); i += 1
            case UInt8(ascii: "("): tokens.append(Token(kind: .openRound, start: s, end: i + 1)); i += 1
            case UInt8(ascii: ")"): tokens.append(Token(kind: .closeRound, start: s, end: i + 1)); i += 1
            case UInt8(ascii: "?"): tokens.append(Token(kind: .question, start: s, end: i + 1)); i += 1
            default:
                guard isIdentifierStart(c) else {
                    let scalar = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<min(i + utf8Length(c), end)]), as: UTF8.self)
                    throw LiquidError.syntax("Unexpected character \(scalar)", at: s)
                }
                var j = i + 1
                while j < end && isIdentifierByte(bytes[j]) { j += 1 }
                if at(j) == UInt8(ascii: "?") { j += 1 }
                if j - i == 8 && isWhitespaceAfter(bytes, j, end)
                    && String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<j]), as: UTF8.self) == "contains"
                {
                    tokens.append(Token(kind: .comparison, start: s, end: j))
                } else {
                    tokens.append(Token(kind: .identifier, start: s, end: j))
                }
                i = j
            }
        }
        tokens.append(Token(kind: .end, start: end, end: end))
        return tokens
    }

    private static func isWhitespaceAfter(_ bytes: UnsafeBufferPointer<UInt8>, _ j: Int, _ end: Int) -> Bool {
        j < end && isRubyWhitespace(bytes[j])
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

@inline(__always) func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95
}

/// Ruby's `\w` plus `-`.
@inline(__always) func isIdentifierByte(_ b: UInt8) -> Bool {
    isIdentifierStart(b) || isDigit(b) || b == 45
}

@inline(__always) func isWordByte(_ b: UInt8) -> Bool {
    isIdentifierStart(b) || isDigit(b)
}
