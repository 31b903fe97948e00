import Diagnostics
import Localization

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
    /// - Parameter direction: the direction the HTML is shown in (its language's): right-to-left text where no
    ///   `dir` in the HTML makes it right to left is a warning (`rtl-text-without-dir`).
    public static func validate(_ html: String, channel: HTMLChannel, allowsScript: Bool = false,
                                direction: TextDirection = .ltr) -> HTMLReport
    {
        validate(source: Array(html.utf8), channel: channel, allowsScript: allowsScript, direction: direction)
    }

    /// Checks raw bytes, reporting where they stop being UTF-8 (libxml2 drops everything after that point).
    public static func validate(bytes: [UInt8], channel: HTMLChannel, allowsScript: Bool = false,
                                direction: TextDirection = .ltr) -> HTMLReport
    {
        guard let badByte = firstInvalidUTF8(bytes) else {
            return validate(source: bytes, channel: channel, allowsScript: allowsScript, direction: direction)
        }
        let repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
        var report = validate(source: repaired, channel: channel, allowsScript: allowsScript, direction: direction)
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

    /// A problem found, located by line and byte column, before it is made a ``Diagnostic``.
    private struct Problem {
        let severity: Diagnostic.Severity
        let line: Int
        let byteColumn: Int
        let code: String
        let message: String
    }

    static func validate(source: [UInt8], channel: HTMLChannel, allowsScript: Bool, direction: TextDirection = .ltr) -> HTMLReport {
        lazy var lines = SourceLines(source)
        if source.count > maxBytes {
            return HTMLReport(diagnostics: [Diagnostic(.error, .html, code: "too-large",
                                                       "The HTML is \(source.count >> 20) MB; at most \(maxBytes >> 20) MB is checked",
                                                       file: nil, line: 1, column: 1)])
        }
        if source.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return HTMLReport(diagnostics: [lines.diagnostic(.error, line: 1, byteColumn: 1, code: "empty",
                                                             message: channel == .email ? "The email has no HTML" : "The fragment has no HTML")])
        }
        // Every problem is counted, but only the first few of each kind are described: the cost of a report stays
        // linear in the HTML however often it repeats a mistake.
        var tally = ProblemTally()
        var problems: [Problem] = []
        let tags = HTMLScanner.tags(in: source)
        let findings = StructureCheck(channel: channel, allowsScript: allowsScript).check(tags, tally: &tally)
            + DirectionCheck(direction: direction).check(tags, source: source, tally: &tally)
        for finding in findings {
            let (line, column) = lines.position(ofByte: finding.offset)
            problems.append(Problem(severity: finding.severity, line: line, byteColumn: column, code: finding.code, message: finding.message))
        }
        if !StructureCheck.tooComplex.contains(where: { tally.counts[$0] != nil }) {
            let wrapped = channel == .web
            let foreign = foreignRanges(tags)
            LibXML2Parser.parse(wrapped ? fragmentPrefix + source + fragmentSuffix : source) { message in
                guard var (severity, code, text) = describe(message) else { return }
                var column = message.column
                if wrapped && message.line == 1 { column = max(1, column - fragmentPrefix.count) }
                let line = min(max(message.line, 1), lines.count)
                column = lines.byteColumn(line: line, characterColumn: column)
                column = lines.relocate(code: code, name: message.name, line: line, byteColumn: column)
                let offset = lines.starts[line - 1] + column - 1
                if code == "unknown-element" && contains(foreign, offset) { return }
                if code == "unescaped-ampersand" && !isInsideTag(tags, offset) {
                    // In text a bare & is tolerated by HTML5; in an attribute it can turn into an entity.
                    (severity, code, text) = (.warning, "unescaped-ampersand-in-text", "A bare '&' in text is better written &amp;")
                }
                guard tally.admit(code) else { return }
                problems.append(Problem(severity: severity, line: line, byteColumn: column, code: code, message: text))
            }
        }
        problems.sort { ($0.line, $0.byteColumn) < ($1.line, $1.byteColumn) }
        var diagnostics: [Diagnostic] = []
        var shown: [String: Int] = [:]
        for problem in problems {
            diagnostics.append(lines.diagnostic(problem.severity, line: problem.line, byteColumn: problem.byteColumn,
                                                code: problem.code, message: problem.message))
            shown[problem.code, default: 0] += 1
            let omitted = tally.omitted(problem.code)
            if omitted > 0 && shown[problem.code] == ProblemTally.shownPerCode {
                var summary = diagnostics[diagnostics.count - 1]
                summary.message = "\(omitted) more like this are not listed"
                diagnostics.append(summary)
            }
        }
        if channel == .email && source.count > emailClippingBytes {
            diagnostics.append(lines.diagnostic(.warning, line: 1, byteColumn: 1, code: "email-clipped",
                                                message: "The email's HTML is \(source.count / 1024) KB; Gmail clips messages past 102 KB"))
        }
        return HTMLReport(diagnostics: diagnostics)
    }

    /// Whether `offset` falls in one of `ranges`, which are sorted and disjoint.
    static func contains(_ ranges: [Range<Int>], _ offset: Int) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= offset { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].contains(offset)
    }

    /// Whether `offset` is inside a tag (between its `<` and `>`); `tags` are in source order.
    static func isInsideTag(_ tags: [ScannedTag], _ offset: Int) -> Bool {
        var low = 0, high = tags.count
        while low < high {
            let mid = (low + high) / 2
            if tags[mid].end <= offset { low = mid + 1 } else { high = mid }
        }
        return low < tags.count && tags[low].offset < offset && offset < tags[low].end
    }

    /// libxml2's ordinary parse alone (building its tree, as `htmlReadMemory` does), the baseline the cost of
    /// `validate` is measured against.
    @_spi(Measurement)
    public static func parseOnly(_ html: String, channel: HTMLChannel) -> Int {
        let source = Array(html.utf8)
        let input = channel == .web ? fragmentPrefix + source + fragmentSuffix : source
        var count = 0
        LibXML2Parser.parse(input, treeless: false) { _ in count += 1 }
        return count
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
            if HTMLElements.known.contains(name) || name.utf8.contains(UInt8(ascii: "-")) { return nil }
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
///
/// Built in one pass; each lookup after it costs at most a few kilobytes of reading, however long the line, so a
/// page written on one 8 MB line is reported on as fast as one with short lines.
struct SourceLines {
    let source: [UInt8]
    let starts: [Int]
    /// Characters (Unicode scalars) before each multiple of ``blockSize`` bytes.
    private let scalarsBeforeBlock: [Int]
    static let blockSize = 4096
    /// Lines longer than this are quoted around the problem instead of whole.
    static let maxQuotedBytes = 1024
    /// Bytes quoted on each side of the problem in a line too long to quote whole.
    static let quotedContext = 160
    /// How far back from libxml2's column the start of the construct it reports is searched for.
    static let relocationWindow = 4096

    init(_ source: [UInt8]) {
        self.source = source
        var starts = [0]
        var blocks: [Int] = []
        blocks.reserveCapacity(source.count / Self.blockSize + 1)
        var scalars = 0
        for (i, b) in source.enumerated() {
            if i & (Self.blockSize - 1) == 0 { blocks.append(scalars) }
            if b & 0xC0 != 0x80 { scalars += 1 }
            if b == 0x0A { starts.append(i + 1) }
        }
        self.starts = starts
        self.scalarsBeforeBlock = blocks
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

    /// Characters before byte `offset` (a lead byte counts as the character it starts).
    func scalars(before offset: Int) -> Int {
        let offset = min(max(offset, 0), source.count)
        guard !scalarsBeforeBlock.isEmpty else { return 0 }
        let block = min(offset / Self.blockSize, scalarsBeforeBlock.count - 1)
        var count = scalarsBeforeBlock[block]
        var i = block * Self.blockSize
        while i < offset {
            if source[i] & 0xC0 != 0x80 { count += 1 }
            i += 1
        }
        return count
    }

    /// The 1-based byte column of the 1-based character column `column` of `line` (libxml2 counts characters).
    func byteColumn(line: Int, characterColumn column: Int) -> Int {
        let range = range(ofLine: line)
        let target = scalars(before: range.lowerBound) + max(column - 1, 0)
        // The last block that starts at or before the target character, then a walk of at most one block.
        var low = 0, high = scalarsBeforeBlock.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if scalarsBeforeBlock[mid] <= target { low = mid } else { high = mid - 1 }
        }
        var offset = max(low * Self.blockSize, range.lowerBound)
        var count = scalars(before: offset)
        while offset < range.upperBound {
            if source[offset] & 0xC0 != 0x80 {
                if count == target { break }
                count += 1
            }
            offset += 1
        }
        return offset - range.lowerBound + 1
    }

    /// The byte range of a line, without its line break.
    func range(ofLine line: Int) -> Range<Int> {
        let start = starts[line - 1]
        var end = line < starts.count ? starts[line] - 1 : source.count
        if end > start && source[end - 1] == 0x0D { end -= 1 }
        return start..<max(start, end)
    }

    /// libxml2 reports most problems where it stopped reading (past the tag or character); move the column
    /// back to where the construct starts, when it can be found on the line close enough before it.
    func relocate(code: String, name: String?, line: Int, byteColumn: Int) -> Int {
        let line = range(ofLine: line)
        let limit = line.lowerBound + min(max(byteColumn - 1, 0), line.count)
        let floor = max(line.lowerBound, limit - Self.relocationWindow)
        func lastStart(of needle: [UInt8]) -> Int? {
            guard !needle.isEmpty, needle.count <= limit - floor else { return nil }
            var i = limit - needle.count
            while i >= floor {
                if source[i..<(i + needle.count)].elementsEqual(needle) { return i - line.lowerBound + 1 }
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
        let range = range(ofLine: line)
        let at = range.lowerBound + min(max(byteColumn - 1, 0), range.count)
        let column = scalars(before: at) - scalars(before: range.lowerBound) + 1
        return Diagnostic(severity, .html, code: code, message, at: SourceLocation(file: nil, line: line, column: column),
                          sourceLine: quote(range, around: at))
    }

    /// The line, or for a long one the part around `offset`, cut at character boundaries and marked with `…`.
    func quote(_ line: Range<Int>, around offset: Int) -> String {
        guard line.count > Self.maxQuotedBytes else { return String(decoding: source[line], as: UTF8.self) }
        var start = max(line.lowerBound, offset - Self.quotedContext)
        var end = min(line.upperBound, offset + Self.quotedContext)
        while start > line.lowerBound && source[start] & 0xC0 == 0x80 { start -= 1 }
        while end < line.upperBound && source[end] & 0xC0 == 0x80 { end += 1 }
        let text = String(decoding: source[start..<end], as: UTF8.self)
        return (start > line.lowerBound ? "…" : "") + text + (end < line.upperBound ? "…" : "")
    }
}
