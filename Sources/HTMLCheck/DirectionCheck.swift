import Localization

/// Right-to-left text (Arabic, Hebrew...) in an element with no right-to-left direction in scope: browsers lay it
/// out left to right, so its punctuation and any Latin words in it land on the wrong side. The direction in scope
/// is the nearest `dir` on an enclosing element (`auto` and `<bdi>` let the text decide), else the direction the
/// HTML is served in. A warning, at the text.
struct DirectionCheck {
    let direction: TextDirection
    /// How far up the open elements an end tag is matched; deeper mismatches are the structure check's to report.
    static let searchDepth = 64

    func check(_ tags: [ScannedTag], source: [UInt8], tally: inout ProblemTally) -> [StructureFinding] {
        // Most output has no right-to-left character at all (one pass over its bytes says so): nothing to follow.
        guard Self.firstRightToLeft(in: source, 0, source.count) != nil else { return [] }
        var findings: [StructureFinding] = []
        // Open elements with the direction each sets (nil: inherited).
        var open: [(name: String, dir: Scope?)] = []
        var reported = Set<Int>()  // one warning per element, at its first such text
        func scope() -> Scope { open.last(where: { $0.dir != nil })?.dir ?? (direction == .rtl ? .rtl : .ltr) }
        func text(_ start: Int, _ end: Int) {
            guard start < end, scope() == .ltr else { return }
            if let top = open.last?.name, HTMLScanner.rawText.contains(top) { return }
            guard let at = Self.firstRightToLeft(in: source, start, end), reported.insert(open.count).inserted else { return }
            guard tally.admit("rtl-text-without-dir") else { return }
            let element = open.last.map { "<\($0.name)>" } ?? "the top level"
            findings.append(StructureFinding(
                severity: .warning, code: "rtl-text-without-dir",
                message: "Right-to-left text in \(element) with no dir=\"rtl\" in scope: browsers lay it out left to right; set dir=\"rtl\" (or auto) on it or its container",
                offset: at))
        }
        var last = 0
        for tag in tags {
            text(last, tag.offset)
            last = tag.end
            if tag.isEnd {
                let lowest = max(0, open.count - Self.searchDepth)
                if let index = open[lowest...].lastIndex(where: { $0.name == tag.name }) {
                    open.removeSubrange(index...)
                    reported = reported.filter { $0 <= open.count }
                }
                continue
            }
            guard !HTMLElements.void.contains(tag.name), !tag.selfClosing else { continue }
            var dir: Scope? = tag.name == "bdi" ? .auto : nil
            if let value = tag.attributes.first(where: { $0.name == "dir" })?.value?.lowercased() {
                dir = value == "rtl" ? .rtl : value == "auto" ? .auto : value == "ltr" ? .ltr : dir
            }
            open.append((tag.name, dir))
        }
        text(last, source.count)
        return findings
    }

    enum Scope { case ltr, rtl, auto }

    /// The offset of the first right-to-left character in `source[start..<end]` outside comments.
    static func firstRightToLeft(in source: [UInt8], _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            let b = source[i]
            if b == UInt8(ascii: "<"), i + 3 < end, source[i + 1] == UInt8(ascii: "!"), source[i + 2] == UInt8(ascii: "-"),
               source[i + 3] == UInt8(ascii: "-")
            {
                // Skip the comment.
                var j = i + 4
                while j + 2 < end && !(source[j] == UInt8(ascii: "-") && source[j + 1] == UInt8(ascii: "-") && source[j + 2] == UInt8(ascii: ">")) { j += 1 }
                i = j + 3
                continue
            }
            // Right-to-left scripts start at U+0590: two-byte UTF-8 lead bytes from 0xD6 on, and longer sequences.
            if b >= 0xD6 {
                var scalar: UInt32
                var length: Int
                switch b {
                case 0xD6...0xDF: (scalar, length) = (UInt32(b & 0x1F), 2)
                case 0xE0...0xEF: (scalar, length) = (UInt32(b & 0x0F), 3)
                case 0xF0...0xF4: (scalar, length) = (UInt32(b & 0x07), 4)
                default: i += 1; continue
                }
                guard i + length <= end else { return nil }
                for k in 1..<length { scalar = scalar << 6 | UInt32(source[i + k] & 0x3F) }
                if let s = Unicode.Scalar(scalar), Bidi.isRightToLeft(s) { return i }
                i += length
                continue
            }
            i += 1
        }
        return nil
    }
}
