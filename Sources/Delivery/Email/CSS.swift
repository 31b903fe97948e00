/// The parts of CSS an email inliner needs: a stylesheet split into style rules and the at-rules (media queries,
/// font faces) that must stay in a `<style>` block, declarations with `!important`, and selectors with their
/// specificity.
struct Stylesheet {
    enum Item {
        /// `selectors { declarations }`; `selectorText` is the prelude as written.
        case rule(selectorText: String, declarations: [CSSDeclaration])
        /// An at-rule (`@media ... { ... }`, `@font-face { ... }`, `@import ...;`), kept as written.
        case atRule(String)
    }

    var items: [Item] = []

    /// Reads CSS leniently, as browsers do: a comment, a stray `}` or an unclosed block does not stop it.
    init(_ css: String) {
        let bytes = Array(css.utf8)
        var i = 0
        func skipSpaceAndComments() {
            while i < bytes.count {
                if Self.isSpace(bytes[i]) {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                    i = Self.commentEnd(bytes, from: i)
                } else if Self.startsWith(bytes, i, "<!--") {
                    i += 4
                } else if Self.startsWith(bytes, i, "-->") {
                    i += 3
                } else {
                    return
                }
            }
        }
        while true {
            skipSpaceAndComments()
            guard i < bytes.count else { break }
            if bytes[i] == UInt8(ascii: "}") || bytes[i] == UInt8(ascii: ";") {
                i += 1
                continue
            }
            let start = i
            // The prelude runs to `{` (or `;` for a block-less at-rule).
            var j = i
            while j < bytes.count, bytes[j] != UInt8(ascii: "{"), bytes[j] != UInt8(ascii: ";") {
                j = Self.skipToken(bytes, from: j)
            }
            let isAt = bytes[start] == UInt8(ascii: "@")
            if j >= bytes.count || bytes[j] == UInt8(ascii: ";") {
                if isAt { items.append(.atRule(Self.text(bytes, start, min(j + 1, bytes.count)).trimmed)) }
                i = min(j + 1, bytes.count)
                continue
            }
            let end = Self.blockEnd(bytes, from: j)
            if isAt {
                items.append(.atRule(Self.text(bytes, start, end).trimmed))
            } else {
                let prelude = Self.text(bytes, start, j).strippingComments.trimmed
                let bodyEnd = end > j + 1 && bytes[end - 1] == UInt8(ascii: "}") ? end - 1 : end
                let declarations = CSSDeclaration.parseList(Self.text(bytes, j + 1, bodyEnd))
                items.append(.rule(selectorText: prelude, declarations: declarations))
            }
            i = end
        }
    }

    // MARK: Scanning

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }

    static func startsWith(_ bytes: [UInt8], _ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { p in (0..<n).allSatisfy { bytes[i + $0] == p[$0] } }
    }

    static func text(_ bytes: [UInt8], _ a: Int, _ b: Int) -> String {
        String(decoding: bytes[a..<max(a, b)], as: UTF8.self)
    }

    /// The index after the comment starting at `i`.
    static func commentEnd(_ bytes: [UInt8], from i: Int) -> Int {
        var k = i + 2
        while k + 1 < bytes.count, !(bytes[k] == UInt8(ascii: "*") && bytes[k + 1] == UInt8(ascii: "/")) { k += 1 }
        return min(k + 2, bytes.count)
    }

    /// The index after the token at `i`: a whole string or comment, an escaped character, or one byte.
    static func skipToken(_ bytes: [UInt8], from i: Int) -> Int {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
            var k = i + 1
            while k < bytes.count, bytes[k] != b {
                if bytes[k] == UInt8(ascii: "\\") {
                    k += 2
                    continue
                }
                // An unclosed string ends at its line's end, as in CSS.
                if bytes[k] == 0x0A { return k }
                k += 1
            }
            return min(k + 1, bytes.count)
        }
        if b == UInt8(ascii: "\\") { return min(i + 2, bytes.count) }
        if b == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") { return commentEnd(bytes, from: i) }
        return i + 1
    }

    /// The index after the `}` matching the `{` at `open` (or the end of input when it is never closed).
    static func blockEnd(_ bytes: [UInt8], from open: Int) -> Int {
        var depth = 0
        var k = open
        while k < bytes.count {
            switch bytes[k] {
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return k + 1 }
            default: break
            }
            k = skipToken(bytes, from: k)
        }
        return bytes.count
    }
}

/// `property: value [!important]`.
struct CSSDeclaration: Equatable {
    var property: String
    var value: String
    var important: Bool

    /// Splits a declaration block (or a `style` attribute) at its top-level semicolons; malformed pieces are left
    /// out, as browsers leave them out.
    static func parseList(_ text: String) -> [CSSDeclaration] {
        let bytes = Array(text.utf8)
        var list: [CSSDeclaration] = []
        var start = 0
        var depth = 0
        var i = 0
        func take(_ end: Int) {
            let piece = Stylesheet.text(bytes, start, end).strippingComments
            if let d = CSSDeclaration(piece) { list.append(d) }
        }
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"): depth = max(0, depth - 1)
            case UInt8(ascii: ";") where depth == 0:
                take(i)
                start = i + 1
            default: break
            }
            i = Stylesheet.skipToken(bytes, from: i)
        }
        take(bytes.count)
        return list
    }

    init(property: String, value: String, important: Bool) {
        self.property = property
        self.value = value
        self.important = important
    }

    init?(_ piece: String) {
        guard let colon = piece.firstIndex(of: ":") else { return nil }
        let property = piece[..<colon].trimmed.lowercased()
        var value = piece[piece.index(after: colon)...].trimmed
        guard !property.isEmpty, property.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            return nil
        }
        var important = false
        if let bang = value.lastIndex(of: "!"),
           value[value.index(after: bang)...].trimmed.lowercased() == "important"
        {
            important = true
            value = value[..<bang].trimmed
        }
        guard !value.isEmpty else { return nil }
        self.init(property: property, value: value, important: important)
    }

    var text: String { important ? "\(property): \(value) !important" : "\(property): \(value)" }
}

// MARK: - Selectors

/// One complex selector (`table.card > tr td a[href^="https"]`): compounds joined by combinators, matched from the
/// right as browsers do.
struct Selector {
    enum Combinator { case descendant, child, adjacent, sibling }

    struct Attribute {
        enum Operator { case exists, equals, includes, dashMatch, prefix, suffix, substring }
        var name: String
        var op: Operator
        var value: String
        var caseInsensitive: Bool

        func matches(_ actual: String?) -> Bool {
            guard let actual else { return false }
            if op == .exists { return true }
            let a = caseInsensitive ? actual.lowercased() : actual
            let v = caseInsensitive ? value.lowercased() : value
            switch op {
            case .exists: return true
            case .equals: return a == v
            case .includes: return !v.isEmpty && a.split(whereSeparator: \.isWhitespace).contains { $0 == v }
            case .dashMatch: return a == v || a.hasPrefix(v + "-")
            case .prefix: return !v.isEmpty && a.hasPrefix(v)
            case .suffix: return !v.isEmpty && a.hasSuffix(v)
            case .substring: return !v.isEmpty && a.contains(v)
            }
        }
    }

    struct Compound {
        /// The tag name, lowercased; nil for any (`*` or none written).
        var tag: String?
        var id: String?
        var classes: [String] = []
        var attributes: [Attribute] = []
    }

    /// Left to right; `combinators[i]` joins `compounds[i]` and `compounds[i + 1]`.
    var compounds: [Compound]
    var combinators: [Combinator]
    /// (ids, classes and attributes, types), compared in that order.
    var specificity: (Int, Int, Int)

    var subject: Compound { compounds[compounds.count - 1] }

    /// Parses one complex selector. Returns nil for what an inliner must leave to the client: pseudo-classes and
    /// pseudo-elements (`:hover`, `::before`), and anything it cannot read.
    init?(_ text: String) {
        var s = Array(text.utf8)[...]
        var compounds: [Compound] = []
        var combinators: [Combinator] = []
        var ids = 0, classes = 0, types = 0
        func skipSpaces() -> Bool {
            var skipped = false
            while let b = s.first, Stylesheet.isSpace(b) {
                s.removeFirst()
                skipped = true
            }
            return skipped
        }
        func identifier() -> String? {
            var out: [UInt8] = []
            while let b = s.first {
                if b == UInt8(ascii: "\\") {
                    s.removeFirst()
                    if let e = s.first {
                        out.append(e)
                        s.removeFirst()
                    }
                } else if b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b >= 0x80
                    || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
                {
                    out.append(b)
                    s.removeFirst()
                } else {
                    break
                }
            }
            return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
        }
        _ = skipSpaces()
        while true {
            var c = Compound()
            var any = false
            if s.first == UInt8(ascii: "*") {
                s.removeFirst()
                any = true
            } else if let first = s.first, first != UInt8(ascii: "."), first != UInt8(ascii: "#"), first != UInt8(ascii: "["),
                      first != UInt8(ascii: ":"), let tag = identifier()
            {
                c.tag = tag.lowercased()
                types += 1
                any = true
            }
            loop: while let b = s.first {
                switch b {
                case UInt8(ascii: "#"):
                    s.removeFirst()
                    guard let id = identifier(), c.id == nil || c.id == id else { return nil }
                    c.id = id
                    ids += 1
                case UInt8(ascii: "."):
                    s.removeFirst()
                    guard let name = identifier() else { return nil }
                    c.classes.append(name)
                    classes += 1
                case UInt8(ascii: "["):
                    s.removeFirst()
                    _ = skipSpaces()
                    guard let name = identifier() else { return nil }
                    _ = skipSpaces()
                    var attribute = Attribute(name: name.lowercased(), op: .exists, value: "", caseInsensitive: false)
                    if s.first != UInt8(ascii: "]") {
                        let ops: [(String, Attribute.Operator)] = [("~=", .includes), ("|=", .dashMatch), ("^=", .prefix),
                                                                  ("$=", .suffix), ("*=", .substring), ("=", .equals)]
                        guard let (token, op) = ops.first(where: { s.starts(with: $0.0.utf8) }) else { return nil }
                        s.removeFirst(token.utf8.count)
                        _ = skipSpaces()
                        attribute.op = op
                        if let q = s.first, q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
                            s.removeFirst()
                            var out: [UInt8] = []
                            while let b = s.first, b != q {
                                if b == UInt8(ascii: "\\") { s.removeFirst() }
                                if let e = s.first { out.append(e); s.removeFirst() }
                            }
                            guard s.first == q else { return nil }
                            s.removeFirst()
                            attribute.value = String(decoding: out, as: UTF8.self)
                        } else {
                            guard let v = identifier() else { return nil }
                            attribute.value = v
                        }
                        _ = skipSpaces()
                        if let f = s.first, f | 0x20 == UInt8(ascii: "i") || f | 0x20 == UInt8(ascii: "s") {
                            attribute.caseInsensitive = f | 0x20 == UInt8(ascii: "i")
                            s.removeFirst()
                            _ = skipSpaces()
                        }
                    }
                    guard s.first == UInt8(ascii: "]") else { return nil }
                    s.removeFirst()
                    c.attributes.append(attribute)
                    classes += 1
                case UInt8(ascii: ":"):
                    // Pseudo-classes and pseudo-elements depend on state or generate content: not inlinable.
                    return nil
                default:
                    break loop
                }
                any = true
            }
            guard any else { return nil }
            compounds.append(c)
            let spaced = skipSpaces()
            guard let b = s.first else { break }
            switch b {
            case UInt8(ascii: ">"): combinators.append(.child)
            case UInt8(ascii: "+"): combinators.append(.adjacent)
            case UInt8(ascii: "~"): combinators.append(.sibling)
            default:
                guard spaced else { return nil }
                combinators.append(.descendant)
                continue
            }
            s.removeFirst()
            _ = skipSpaces()
        }
        guard !compounds.isEmpty else { return nil }
        self.compounds = compounds
        self.combinators = combinators
        self.specificity = (ids, classes, types)
    }

    /// Splits a selector list at its top-level commas.
    static func splitList(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "(" || ch == "[" {
                depth += 1
            } else if ch == ")" || ch == "]" {
                depth -= 1
            } else if ch == ",", depth == 0 {
                parts.append(current.trimmed)
                current = ""
                continue
            }
            current.append(ch)
        }
        parts.append(current.trimmed)
        return parts.filter { !$0.isEmpty }
    }
}

extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    /// The text without `/* ... */` comments.
    var strippingComments: String {
        guard contains("/*") else { return String(self) }
        var out = ""
        var rest = Substring(self)
        while let open = rest.range(of: "/*") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "*/") else { return out }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
