/// `truncate` and `truncatewords`, and the word splitting they share with `split`.
extension StringFilters {
    @Sendable static func truncate(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("truncate", min: 0, max: 2)
        if input.isNil { return .null }
        let s = rubyString(input)
        let length = try args[0].map(rubyInteger) ?? 50
        let ellipsis = args[1].map(rubyString) ?? "..."
        // A string has no more code points than bytes.
        if s.utf8.count <= length { return input.stringValue != nil ? input : .string(s) }
        let scalars = s.unicodeScalars
        guard scalars.count > length else { return .string(s) }
        let keep = max(0, length - ellipsis.unicodeScalars.count)
        let end = scalars.index(scalars.startIndex, offsetBy: keep)
        return .string(concatenate(String(scalars[..<end]), ellipsis))
    }

    @Sendable static func truncatewords(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("truncatewords", min: 0, max: 2)
        if input.isNil { return .null }
        let s = rubyString(input)
        var words = try args[0].map(rubyInteger) ?? 15
        if words <= 0 { words = 1 }
        words = min(words, Int(Int32.max))
        let ellipsis = args[1].map(rubyString) ?? "..."
        if wordCount(s, atMost: words + 1) <= words { return .string(s) }
        let list = awkSplit(s, limit: words + 1)
        guard list.count > words else { return .string(s) }
        return .string(list.prefix(words).joined(separator: " ") + ellipsis)
    }

    /// The number of white-space separated words, counting no further than `limit`.
    static func wordCount(_ s: String, atMost limit: Int) -> Int {
        var count = 0
        var inWord = false
        for b in s.utf8 {
            let space = isRubyWhitespace(b) && b != 0
            if !space && !inWord {
                count += 1
                if count >= limit { return count }
            }
            inWord = !space
        }
        return count
    }

    /// Ruby's `split(" ", limit)`: runs of white space separate words; leading white space is ignored;
    /// with a limit, the last piece is the unsplit rest.
    static func awkSplit(_ s: String, limit: Int = 0) -> [String] {
        let u = Array(s.utf8)
        var out: [String] = []
        var i = 0
        while i < u.count {
            while i < u.count && isRubyWhitespace(u[i]) && u[i] != 0 { i += 1 }
            guard i < u.count else { break }
            if limit > 0 && out.count == limit - 1 {
                out.append(String(decoding: u[i...], as: UTF8.self))
                return out
            }
            let start = i
            while i < u.count && !(isRubyWhitespace(u[i]) && u[i] != 0) { i += 1 }
            out.append(String(decoding: u[start..<i], as: UTF8.self))
        }
        return out
    }
}
