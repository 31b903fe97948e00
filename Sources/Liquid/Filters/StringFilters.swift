#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Filters over strings, with Ruby's semantics: lengths and offsets count code points.
enum StringFilters {
    static func register(_ f: inout FilterTable) {
        f["append"] = { input, args, _ in
            try args.expect("append", min: 1, max: 1)
            return .string(concatenate(rubyString(input), rubyString(args[0]!)))
        }
        f["prepend"] = { input, args, _ in
            try args.expect("prepend", min: 1, max: 1)
            return .string(concatenate(rubyString(args[0]!), rubyString(input)))
        }
        f["upcase"] = { input, args, _ in
            try args.expect("upcase", min: 0, max: 0)
            return .string(rubyString(input).uppercased())
        }
        f["downcase"] = { input, args, _ in
            try args.expect("downcase", min: 0, max: 0)
            return .string(rubyString(input).lowercased())
        }
        f["capitalize"] = { input, args, _ in
            try args.expect("capitalize", min: 0, max: 0)
            var s = rubyString(input)
            if let ascii = s.withUTF8({ u -> String? in
                guard !u.contains(where: { $0 >= 0x80 }) else { return nil }
                return String(unsafeUninitializedCapacity: u.count) { out in
                    for i in 0..<u.count {
                        let b = u[i]
                        let lower = b >= 65 && b <= 90 ? b + 32 : b
                        out[i] = i == 0 && lower >= 97 && lower <= 122 ? lower - 32 : lower
                    }
                    return u.count
                }
            }) {
                return .string(ascii)
            }
            let scalars = s.unicodeScalars
            guard let first = scalars.first else { return .string("") }
            let rest = String(scalars[scalars.index(after: scalars.startIndex)...])
            return .string(String(first).uppercased() + rest.lowercased())
        }
        f["strip"] = { input, args, _ in
            try args.expect("strip", min: 0, max: 0)
            return .string(rubyString(input).trimmingRubyWhitespace())
        }
        f["lstrip"] = { input, args, _ in
            try args.expect("lstrip", min: 0, max: 0)
            let u = Array(rubyString(input).utf8)
            let start = u.firstIndex(where: { !isRubyWhitespace($0) }) ?? u.count
            return .string(String(decoding: u[start...], as: UTF8.self))
        }
        f["rstrip"] = { input, args, _ in
            try args.expect("rstrip", min: 0, max: 0)
            let u = Array(rubyString(input).utf8)
            let end = (u.lastIndex(where: { !isRubyWhitespace($0) }) ?? -1) + 1
            return .string(String(decoding: u[..<end], as: UTF8.self))
        }
        f["strip_newlines"] = { input, args, _ in
            try args.expect("strip_newlines", min: 0, max: 0)
            return .string(replaceNewlines(rubyString(input), with: ""))
        }
        f["newline_to_br"] = { input, args, _ in
            try args.expect("newline_to_br", min: 0, max: 0)
            return .string(replaceNewlines(rubyString(input), with: "<br />\n"))
        }
        f["replace"] = { input, args, _ in
            try args.expect("replace", min: 1, max: 2)
            return .string(replaceAll(rubyString(input), rubyString(args[0]!), args[1].map(rubyString) ?? ""))
        }
        f["replace_first"] = { input, args, _ in
            try args.expect("replace_first", min: 1, max: 2)
            return .string(replaceFirst(rubyString(input), rubyString(args[0]!), args[1].map(rubyString) ?? ""))
        }
        f["replace_last"] = { input, args, _ in
            try args.expect("replace_last", min: 2, max: 2)
            return .string(replaceLast(rubyString(input), rubyString(args[0]!), rubyString(args[1]!)))
        }
        f["remove"] = { input, args, _ in
            try args.expect("remove", min: 1, max: 1)
            return .string(replaceAll(rubyString(input), rubyString(args[0]!), ""))
        }
        f["remove_first"] = { input, args, _ in
            try args.expect("remove_first", min: 1, max: 1)
            return .string(replaceFirst(rubyString(input), rubyString(args[0]!), ""))
        }
        f["remove_last"] = { input, args, _ in
            try args.expect("remove_last", min: 1, max: 1)
            return .string(replaceLast(rubyString(input), rubyString(args[0]!), ""))
        }
        f["truncate"] = truncate
        f["truncatewords"] = truncatewords
        f["split"] = { input, args, _ in
            try args.expect("split", min: 1, max: 1)
            return .array(split(rubyString(input), rubyString(args[0]!)).map { .string($0) })
        }
        f["strip_html"] = { input, args, _ in
            try args.expect("strip_html", min: 0, max: 0)
            return .string(stripHTML(rubyString(input)))
        }
        f["slice"] = slice
    }

    /// Replaces every `\r\n` or `\n` with `replacement`; the input itself when it has no newline.
    static func replaceNewlines(_ s: String, with replacement: String) -> String {
        var input = s
        return input.withUTF8 { u -> String in
            guard u.contains(UInt8(ascii: "\n")) else { return s }
            var out = [UInt8]()
            out.reserveCapacity(u.count + 16)
            var runStart = 0
            var i = 0
            while i < u.count {
                if u[i] == UInt8(ascii: "\n") {
                    let end = i > runStart && u[i - 1] == UInt8(ascii: "\r") ? i - 1 : i
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<end]))
                    out.append(contentsOf: replacement.utf8)
                    runStart = i + 1
                }
                i += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart...]))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Ruby's `gsub` with a literal pattern; an empty pattern inserts between every character.
    static func replaceAll(_ s: String, _ pattern: String, _ replacement: String) -> String {
        if pattern.isEmpty {
            var out = replacement
            for scalar in s.unicodeScalars {
                out.unicodeScalars.append(scalar)
                out += replacement
            }
            return out
        }
        let search = ByteSearch(pattern.utf8)
        var input = s
        return input.withUTF8 { u -> String in
            var out: [UInt8] = []
            var runStart = 0
            while let i = search.firstIndex(in: u, from: runStart) {
                if out.isEmpty { out.reserveCapacity(u.count + 16) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i]))
                out.append(contentsOf: replacement.utf8)
                runStart = i + search.needle.count
            }
            if runStart == 0 { return s }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart...]))
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func replaceFirst(_ s: String, _ pattern: String, _ replacement: String) -> String {
        let u = Array(s.utf8)
        let search = ByteSearch(pattern.utf8)
        guard let i = u.withUnsafeBufferPointer({ search.firstIndex(in: $0) }) else { return s }
        return String(decoding: u[..<i] + Array(replacement.utf8) + u[(i + search.needle.count)...], as: UTF8.self)
    }

    /// The last occurrence is the first one in the reversed text of the reversed pattern.
    static func replaceLast(_ s: String, _ pattern: String, _ replacement: String) -> String {
        let u = Array(s.utf8)
        let search = ByteSearch(pattern.utf8.reversed())
        guard let j = Array(u.reversed()).withUnsafeBufferPointer({ search.firstIndex(in: $0) }) else { return s }
        let i = u.count - j - search.needle.count
        return String(decoding: u[..<i] + Array(replacement.utf8) + u[(i + search.needle.count)...], as: UTF8.self)
    }

    /// Ruby's `String#split` with a string pattern: trailing empty strings are dropped.
    static func split(_ s: String, _ pattern: String) -> [String] {
        if pattern == " " { return awkSplit(s) }
        var out: [String]
        if pattern.isEmpty {
            out = s.unicodeScalars.map { String($0) }
        } else {
            out = []
            let u = Array(s.utf8)
            let search = ByteSearch(pattern.utf8)
            var start = 0
            u.withUnsafeBufferPointer { buffer in
                while let i = search.firstIndex(in: buffer, from: start) {
                    out.append(String(decoding: buffer[start..<i], as: UTF8.self))
                    start = i + search.needle.count
                }
            }
            out.append(String(decoding: u[start...], as: UTF8.self))
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out
    }

    /// Removes `<script>`, `<style>` and comment blocks, then every tag.
    static func stripHTML(_ s: String) -> String {
        let u = Array(s.utf8)
        var out = [UInt8]()
        out.reserveCapacity(u.count)
        func starts(_ i: Int, _ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return i + p.count <= u.count && u[i..<(i + p.count)].elementsEqual(p)
        }
        // Where each closing string is known to be absent from: text full of `<` and no `>` is read once, not once
        // per `<`.
        var absentFrom: [String: Int] = [:]
        func find(_ from: Int, _ needle: String) -> Int? {
            if let absent = absentFrom[needle], from >= absent { return nil }
            let search = ByteSearch(needle.utf8)
            guard let j = u.withUnsafeBufferPointer({ search.firstIndex(in: $0, from: from) }) else {
                absentFrom[needle] = from
                return nil
            }
            return j + search.needle.count
        }
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "<") {
                if starts(i, "<script"), let e = find(i + 7, "</script>") { i = e; continue }
                if starts(i, "<style"), let e = find(i + 6, "</style>") { i = e; continue }
                if starts(i, "<!--"), let e = find(i + 4, "-->") { i = e; continue }
                if let e = find(i + 1, ">") { i = e; continue }
            }
            out.append(u[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Sendable static func slice(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("slice", min: 1, max: 2)
        let offset = try rubyInteger(args[0]!)
        let length = try args.optional(1).map(rubyInteger) ?? 1
        func window(_ count: Int) -> Range<Int>? {
            let start = offset < 0 ? count + offset : offset
            guard start >= 0, start <= count, length >= 0 else { return nil }
            return start..<(start + min(length, count - start))
        }
        if case .array(let a) = input {
            guard let r = window(a.count) else { return .array([]) }
            return .array(Array(a[r]))
        }
        let s = rubyString(input)
        if let ascii = s.utf8.withContiguousStorageIfAvailable({ b -> Value? in
            guard !b.contains(where: { $0 >= 0x80 }) else { return nil }
            guard let r = window(b.count) else { return .string("") }
            return .string(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self))
        }), let ascii {
            return ascii
        }
        let scalars = Array(s.unicodeScalars)
        guard let r = window(scalars.count) else { return .string("") }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[r])
        return .string(String(out))
    }
}
