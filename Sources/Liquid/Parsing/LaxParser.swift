/// Reads markup the way Shopify's lax parser does: the first quoted fragment is the expression,
/// filters are whatever follows `|`, and characters no rule accepts are ignored.
struct LaxParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let filters: [String: FilterBox]

    /// End of a quoted string starting at `i`, or `nil` when it is not closed.
    func quotedEnd(_ i: Int, _ end: Int) -> Int? {
        let q = bytes[i]
        var j = i + 1
        while j < end && bytes[j] != q { j += 1 }
        return j < end ? j + 1 : nil
    }

    /// Shopify's `QuotedFragment` at `i`: a quoted string, or a run of anything but white space, `,`, `|` and quotes
    /// (with complete quoted strings inside).
    func fragmentEnd(_ i: Int, _ end: Int) -> Int? {
        guard i < end else { return nil }
        let c = bytes[i]
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { return quotedEnd(i, end) }
        var j = i
        while j < end {
            let b = bytes[j]
            if isRubyWhitespace(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: "|") { break }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                guard let q = quotedEnd(j, end) else { break }
                j = q
                continue
            }
            j += 1
        }
        return j > i ? j : nil
    }

    func text(_ s: Int, _ e: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
    }

    func filteredExpression(from start: Int, to end: Int) -> FilteredExpression {
        var i = start
        var found: (Int, Int)?
        while i < end {
            if let e = fragmentEnd(i, end) {
                found = (i, e)
                break
            }
            i += 1
        }
        guard let (ns, ne) = found else { return FilteredExpression(base: .literal(.null), filters: []) }
        let base = expression(text(ns, ne), offset: ns)
        var calls: [FilterCall] = []
        var j = ne
        while j < end && bytes[j] != UInt8(ascii: "|") { j += 1 }
        j += 1
        while j < end {
            var segmentEnd = j
            while segmentEnd < end {
                let b = bytes[segmentEnd]
                if b == UInt8(ascii: "|") { break }
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'"), let q = quotedEnd(segmentEnd, end) {
                    segmentEnd = q
                    continue
                }
                segmentEnd += 1
            }
            if let call = filterCall(from: j, to: segmentEnd) { calls.append(call) }
            j = segmentEnd + 1
        }
        return FilteredExpression(base: base, filters: calls)
    }

    private func filterCall(from start: Int, to end: Int) -> FilterCall? {
        var i = start
        while i < end && !isWordByte(bytes[i]) {
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'"), let q = quotedEnd(i, end) { i = q; continue }
            i += 1
        }
        guard i < end else { return nil }
        let nameStart = i
        while i < end && isWordByte(bytes[i]) { i += 1 }
        let name = text(nameStart, i)
        var args: [Expression] = []
        var keywords: [(String, Expression)] = []
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                i = quotedEnd(i, end) ?? end
                continue
            }
            guard b == UInt8(ascii: ":") || b == UInt8(ascii: ",") else {
                i += 1
                continue
            }
            var j = i + 1
            while j < end && isRubyWhitespace(bytes[j]) { j += 1 }
            var k = j
            while k < end && isWordByte(bytes[k]) { k += 1 }
            var colon = k
            while colon < end && isRubyWhitespace(bytes[colon]) { colon += 1 }
            if k > j && colon < end && bytes[colon] == UInt8(ascii: ":") {
                var v = colon + 1
                while v < end && isRubyWhitespace(bytes[v]) { v += 1 }
                if let ve = fragmentEnd(v, end) {
                    keywords.append((text(j, k), expression(text(v, ve), offset: v)))
                    i = ve
                    continue
                }
            }
            if let e = fragmentEnd(j, end) {
                args.append(expression(text(j, e), offset: j))
                i = e
            } else {
                i = j
            }
        }
        return FilterCall(name: name, box: filters[name], arguments: args, keywordArguments: keywords, offset: nameStart)
    }

    /// Shopify's lax `Expression.parse`.
    func expression(_ raw: String, offset: Int, depth: Int = 0) -> Expression {
        // Deeper nesting than any real template has is read as nothing rather than recursed into.
        guard depth < 64 else { return .literal(.null) }
        let markup = raw.trimmingRubyWhitespace()
        let u = Array(markup.utf8)
        if u.count >= 2, let f = u.first, let l = u.last, (f == UInt8(ascii: "\"") || f == UInt8(ascii: "'")), f == l {
            return .literal(.string(String(decoding: u[1..<(u.count - 1)], as: UTF8.self)))
        }
        if let i = Int(markup) { return .literal(.int(i)) }
        if u.first == UInt8(ascii: "("), u.last == UInt8(ascii: ")"), let dots = markup.range(of: "..") {
            let lo = String(markup[markup.index(after: markup.startIndex)..<dots.lowerBound])
            let hi = String(markup[dots.upperBound..<markup.index(before: markup.endIndex)])
            let a = expression(lo, offset: offset, depth: depth + 1), b = expression(hi, offset: offset, depth: depth + 1)
            return .range(a, b, offset: offset)
        }
        if isLaxFloat(u) { return .literal(.double(Double(markup) ?? 0)) }
        if markup.isEmpty { return .literal(.null) }
        if let literal = MarkupParser.keywordLiteral(markup) { return .literal(literal) }
        return .variable(variableLookup(u, offset: offset, depth: depth))
    }

    private func isLaxFloat(_ u: [UInt8]) -> Bool {
        var i = 0
        if u.first == UInt8(ascii: "-") { i = 1 }
        let digitsStart = i
        while i < u.count && isDigit(u[i]) { i += 1 }
        guard i > digitsStart, i < u.count, u[i] == UInt8(ascii: ".") else { return false }
        i += 1
        let fracStart = i
        while i < u.count && isDigit(u[i]) { i += 1 }
        return i > fracStart && i == u.count
    }

    /// Scans `name.key[expr]` pieces as Shopify's `VariableParser` does, skipping anything else.
    private func variableLookup(_ u: [UInt8], offset: Int, depth: Int) -> VariableLookup {
        var pieces: [(String, Bool)] = []
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "[") {
                var depth = 0
                var j = i
                while j < u.count {
                    if u[j] == UInt8(ascii: "[") { depth += 1 }
                    if u[j] == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    j += 1
                }
                if j < u.count {
                    pieces.append((String(decoding: u[(i + 1)..<j], as: UTF8.self), true))
                    i = j + 1
                    continue
                }
                i += 1
            } else if isIdentifierByte(u[i]) {
                var j = i
                while j < u.count && isIdentifierByte(u[j]) { j += 1 }
                if j < u.count && u[j] == UInt8(ascii: "?") { j += 1 }
                pieces.append((String(decoding: u[i..<j], as: UTF8.self), false))
                i = j
            } else {
                i += 1
            }
        }
        guard let first = pieces.first else { return VariableLookup(root: .name(""), path: [], offset: offset) }
        let root: VariableLookup.Root = first.1 ? .expression(expression(first.0, offset: offset, depth: depth + 1)) : .name(first.0)
        let path = pieces.dropFirst().map { piece -> VariableLookup.Segment in
            piece.1 ? .index(expression(piece.0, offset: offset, depth: depth + 1)) : .key(piece.0)
        }
        return VariableLookup(root: root, path: path, offset: offset)
    }
}

extension String {
    func trimmingRubyWhitespace() -> String {
        let u = Array(utf8)
        var s = 0
        var e = u.count
        while s < e && isRubyWhitespace(u[s]) { s += 1 }
        while e > s && isRubyWhitespace(u[e - 1]) { e -= 1 }
        if s == 0 && e == u.count { return self }
        return String(decoding: u[s..<e], as: UTF8.self)
    }
}
