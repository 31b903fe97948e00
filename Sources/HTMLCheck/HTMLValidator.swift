/// Checks HTML before it is served: what libxml2's HTML parser reports, read against the HTML5 element set,
/// with every problem located in the HTML as written.
///
/// ```swift
/// let report = HTMLValidator.validate("<p>Hi <dvi>there</dvi></p>", channel: .web)
/// report.errors.first?.description   // "1:7: error: Unknown element <dvi> [unknown-element]"
/// ```
public enum HTMLValidator {
    /// Gmail clips messages whose HTML passes this size.
    public static let emailClippingBytes = 102 * 1024
    /// Larger HTML is refused unread (libxml2 takes sizes as 32-bit integers).
    public static let maxBytes = 64 << 20

    /// Web fragments are parsed inside this wrapper, on the fragment's first line, so libxml2 builds the
    /// tree a browser would and columns on line 1 shift by its length.
    static let fragmentPrefix = Array("<html><body>".utf8)
    static let fragmentSuffix = Array("</body></html>".utf8)

    /// Checks `html` for `channel`.
    /// - Parameter allowsScript: accept `<script>`, for a template explicitly allowed to carry one.
    public static func validate(_ html: String, channel: HTMLChannel, allowsScript: Bool = false) -> HTMLReport {
        validate(source: Array(html.utf8), channel: channel, allowsScript: allowsScript)
    }

    /// Checks raw bytes, reporting where they stop being UTF-8 (libxml2 drops everything after that point).
    public static func validate(bytes: [UInt8], channel: HTMLChannel, allowsScript: Bool = false) -> HTMLReport {
        guard let badByte = firstInvalidUTF8(bytes) else {
            return validate(source: bytes, channel: channel, allowsScript: allowsScript)
        }
        let repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
        var report = validate(source: repaired, channel: channel, allowsScript: allowsScript)
        let lines = SourceLines(bytes)
        let (line, column) = lines.position(ofByte: badByte)
        report.diagnostics.insert(lines.diagnostic(.error, line: line, byteColumn: column, code: "invalid-utf8",
                                                   message: "The HTML is not valid UTF-8 here"), at: 0)
        return report
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    static func validate(source: [UInt8], channel: HTMLChannel, allowsScript: Bool) -> HTMLReport {
        var diagnostics: [Diagnostic] = []
        lazy var lines = SourceLines(source)
        if source.count > maxBytes {
            diagnostics.append(Diagnostic(severity: .error, line: 1, column: 1, code: "too-large",
                                          message: "The HTML is \(source.count >> 20) MB; at most \(maxBytes >> 20) MB is checked",
                                          sourceLine: ""))
            return HTMLReport(diagnostics: diagnostics)
        }
        if source.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            diagnostics.append(lines.diagnostic(.error, line: 1, byteColumn: 1, code: "empty",
                                                message: channel == .email ? "The email has no HTML" : "The fragment has no HTML"))
            return HTMLReport(diagnostics: diagnostics)
        }
        let wrapped = channel == .web
        let input = wrapped ? fragmentPrefix + source + fragmentSuffix : source
        let tags = HTMLScanner.tags(in: source)
        let foreign = foreignRanges(tags)
        let (messages, _) = LibXML2Parser.parse(input)
        for message in messages {
            var column = message.column
            if wrapped && message.line == 1 { column = max(1, column - fragmentPrefix.count) }
            let line = min(max(message.line, 1), lines.count)
            guard let (severity, code, text) = describe(message) else { continue }
            column = lines.relocate(code: code, name: message.name, line: line, byteColumn: column)
            let offset = lines.starts[line - 1] + column - 1
            if code == "unknown-element" && foreign.contains(where: { $0.contains(offset) }) { continue }
            if code == "unescaped-ampersand" && !tags.contains(where: { $0.offset < offset && offset < $0.end }) {
                // In text a bare & is tolerated by HTML5; in an attribute it can turn into an entity.
                diagnostics.append(lines.diagnostic(.warning, line: line, byteColumn: column, code: "unescaped-ampersand-in-text",
                                                    message: "A bare '&' in text is better written &amp;"))
                continue
            }
            diagnostics.append(lines.diagnostic(severity, line: line, byteColumn: column, code: code, message: text))
        }
        for finding in StructureCheck(channel: channel, allowsScript: allowsScript).check(tags) {
            let (line, column) = lines.position(ofByte: finding.offset)
            diagnostics.append(lines.diagnostic(finding.severity, line: line, byteColumn: column, code: finding.code,
                                                message: finding.message))
        }
        diagnostics.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        if channel == .email && source.count > emailClippingBytes {
            diagnostics.append(lines.diagnostic(.warning, line: 1, byteColumn: 1, code: "email-clipped",
                                                message: "The email's HTML is \(source.count / 1024) KB; Gmail clips messages past 102 KB"))
        }
        return HTMLReport(diagnostics: diagnostics)
    }

    /// libxml2's ordinary parse alone (building its tree, as `htmlReadMemory` does), the baseline the cost of
    /// `validate` is measured against.
    @_spi(Measurement)
    public static func parseOnly(_ html: String, channel: HTMLChannel) -> Int {
        let source = Array(html.utf8)
        let input = channel == .web ? fragmentPrefix + source + fragmentSuffix : source
        return LibXML2Parser.parse(input, treeless: false).messages.count
    }

    /// Byte ranges inside `<svg>` and `<math>`, where element names are not HTML's.
    static func foreignRanges(_ tags: [ScannedTag]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var openAt: Int?
        var depth = 0
        for tag in tags where tag.name == "svg" || tag.name == "math" {
            if tag.isEnd {
                depth -= 1
                if depth == 0, let start = openAt {
                    ranges.append(start..<tag.offset)
                    openAt = nil
                }
            } else if !tag.selfClosing {
                if depth == 0 { openAt = tag.offset }
                depth += 1
            }
        }
        if let openAt { ranges.append(openAt..<Int.max) }
        return ranges
    }

    /// What a libxml2 message means to a template author; `nil` for one that is no problem in HTML5.
    static func describe(_ m: ParserMessage) -> (Diagnostic.Severity, String, String)? {
        switch m.code {
        case 801:
            guard let name = m.name?.lowercased() else { return (.error, "unknown-element", m.message) }
            if HTMLElements.known.contains(name) || name.contains("-") { return nil }
            return (.error, "unknown-element", "Unknown element <\(name)>")
        case 76, 513:
            // End tags and ids are followed against the source by StructureCheck, which says more.
            return nil
        case 42:
            return (.error, "duplicate-attribute", "Attribute \(m.name ?? "") is given twice")
        case 73, 40, 41, 65:
            return (.error, "malformed-tag", "Malformed tag: \(m.message)")
        case 68, 23:
            return (.error, "unescaped-ampersand", "A bare '&' must be written &amp;")
        case 9, 6:
            return (.error, "bad-character-reference", "Bad character reference: \(m.message)")
        case 81, 1544, 9000:
            return (.error, "invalid-utf8", "The HTML is not valid UTF-8 here; everything after this point is lost")
        case 800:
            return (.error, "misplaced-element", m.message)
        default:
            return (.error, "parse-error", m.message)
        }
    }
}

/// Line starts of a source, to turn libxml2's line and byte column into characters and an excerpt.
struct SourceLines {
    let source: [UInt8]
    let starts: [Int]

    init(_ source: [UInt8]) {
        self.source = source
        var starts = [0]
        for (i, b) in source.enumerated() where b == 0x0A { starts.append(i + 1) }
        self.starts = starts
    }

    var count: Int { starts.count }

    /// 1-based line and byte column of a byte offset.
    func position(ofByte offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - starts[low] + 1)
    }

    func text(ofLine line: Int) -> ArraySlice<UInt8> {
        let start = starts[line - 1]
        var end = line < starts.count ? starts[line] - 1 : source.count
        if end > start && source[end - 1] == 0x0D { end -= 1 }
        return source[start..<max(start, end)]
    }

    /// libxml2 reports most problems where it stopped reading (past the tag or character); move the column
    /// back to where the construct starts, when it can be found on the line.
    func relocate(code: String, name: String?, line: Int, byteColumn: Int) -> Int {
        let bytes = Array(text(ofLine: line))
        let limit = min(max(byteColumn - 1, 0), bytes.count)
        func lastStart(of needle: [UInt8]) -> Int? {
            guard !needle.isEmpty, needle.count <= limit else { return nil }
            var i = limit - needle.count
            while i >= 0 {
                if bytes[i..<(i + needle.count)].elementsEqual(needle) { return i + 1 }
                i -= 1
            }
            return nil
        }
        switch code {
        case "unknown-element":
            return name.flatMap { lastStart(of: Array("<\($0)".utf8)) } ?? byteColumn
        case "unexpected-end-tag":
            return name.flatMap { lastStart(of: Array("</\($0)".utf8)) } ?? byteColumn
        case "duplicate-attribute":
            return name.flatMap { lastStart(of: Array(" \($0)".utf8)).map { $0 + 1 } } ?? byteColumn
        case "unescaped-ampersand", "bad-character-reference":
            return lastStart(of: [UInt8(ascii: "&")]) ?? byteColumn
        default:
            return byteColumn
        }
    }

    func diagnostic(_ severity: Diagnostic.Severity, line: Int, byteColumn: Int, code: String, message: String) -> Diagnostic {
        let bytes = text(ofLine: line)
        let prefix = bytes.prefix(max(0, byteColumn - 1))
        let column = String(decoding: prefix, as: UTF8.self).unicodeScalars.count + 1
        return Diagnostic(severity: severity, line: line, column: column, code: code, message: message,
                          sourceLine: String(decoding: bytes, as: UTF8.self))
    }
}
