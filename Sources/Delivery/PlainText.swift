import Foundation
import HTMLCheck
import Localization

/// The plain-text part of an email, made from its HTML with libxml2's tree: headings underlined, paragraphs apart,
/// list items marked, links as `text (url)`, table rows on their lines with cells apart, images by their alt text;
/// no markup, and nothing hidden (`display:none` preheaders, `head`, `style`, `script`).
public enum PlainText {
    public static func from(html: String) -> String {
        guard let tree = HTMLTree(html: html) else { return "" }
        return from(tree)
    }

    /// The text of a tree already parsed (an email being finished).
    static func from(_ tree: HTMLTree) -> String {
        var out = Writer()
        if let root = tree.root { write(root, into: &out, list: nil) }
        return out.finish()
    }

    /// Text being built, as UTF-8: runs of HTML white space (ASCII, as browsers collapse it) fold into one space;
    /// blocks ask for line breaks, which are only written when text follows.
    struct Writer {
        var bytes: [UInt8] = []
        var pendingBreaks = 0
        var pendingSpace = false
        var preformatted = false

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C }

        mutating func breakLines(_ n: Int) {
            if !bytes.isEmpty { pendingBreaks = max(pendingBreaks, n) }
            pendingSpace = false
        }

        mutating func write(_ s: String) {
            if preformatted {
                flushBreaks()
                bytes.append(contentsOf: s.utf8)
                return
            }
            for b in s.utf8 {
                if Self.isSpace(b) {
                    if !bytes.isEmpty, pendingBreaks == 0 { pendingSpace = true }
                } else {
                    if pendingBreaks > 0 { flushBreaks() }
                    if pendingSpace, let last = bytes.last, last != 0x0A { bytes.append(0x20) }
                    pendingSpace = false
                    bytes.append(b)
                }
            }
        }

        /// Writes `s` as is (list markers, underlines), after any pending breaks.
        mutating func raw(_ s: String) {
            flushBreaks()
            if pendingSpace, let last = bytes.last, last != 0x0A { bytes.append(0x20) }
            pendingSpace = false
            bytes.append(contentsOf: s.utf8)
        }

        private mutating func flushBreaks() {
            if pendingBreaks > 0, !bytes.isEmpty {
                while bytes.last == 0x20 { bytes.removeLast() }
                var have = 0
                var i = bytes.count - 1
                while i >= 0, bytes[i] == 0x0A {
                    have += 1
                    i -= 1
                }
                if have < pendingBreaks { bytes.append(contentsOf: repeatElement(0x0A, count: pendingBreaks - have)) }
            }
            pendingBreaks = 0
        }

        /// The text with spaces at line ends and empty lines at the end dropped, ending in one newline.
        func finish() -> String {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 1)
            for b in bytes {
                if b == 0x0A {
                    while out.last == 0x20 { out.removeLast() }
                }
                out.append(b)
            }
            while let last = out.last, last == 0x20 || last == 0x0A { out.removeLast() }
            if !out.isEmpty { out.append(0x0A) }
            return String(decoding: out, as: UTF8.self)
        }

        /// The text without white space at either end (a link's label, a cell).
        func trimmed() -> String {
            var a = 0
            var b = bytes.count
            while a < b, Self.isSpace(bytes[a]) { a += 1 }
            while b > a, Self.isSpace(bytes[b - 1]) { b -= 1 }
            guard a < b else { return "" }
            // Lines inside keep no trailing spaces, as `finish` would leave them.
            var out: [UInt8] = []
            out.reserveCapacity(b - a)
            for byte in bytes[a..<b] {
                if byte == 0x0A { while out.last == 0x20 { out.removeLast() } }
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    enum ListKind { case bullets, numbers(Int) }

    private static let skipped: Set<String> = ["head", "style", "script", "template", "title", "noscript", "iframe",
                                               "object", "svg", "math"]
    private static let paragraphs: Set<String> = ["p", "blockquote", "ul", "ol", "dl", "table", "pre", "figure",
                                                  "address", "form", "fieldset"]
    private static let lines: Set<String> = ["div", "section", "article", "header", "footer", "main", "nav", "aside",
                                             "center", "tr", "dt", "dd", "li", "caption", "tbody", "thead", "tfoot",
                                             "figcaption", "details", "summary", "body", "html"]

    private static func isHidden(_ node: HTMLNode) -> Bool {
        if node.hasAttribute("hidden") { return true }
        guard let style = node.attribute("style") else { return false }
        // Lowercased with white space removed, byte by byte (this runs for every element).
        var compact: [UInt8] = []
        compact.reserveCapacity(style.utf8.count)
        for b in style.utf8 where !Writer.isSpace(b) { compact.append(b >= 65 && b <= 90 ? b + 32 : b) }
        return contains(compact, "display:none") || contains(compact, "visibility:hidden")
    }

    private static func contains(_ haystack: [UInt8], _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard haystack.count >= n else { return false }
        return needle.withUTF8Buffer { p in
            (0...(haystack.count - n)).contains { i in (0..<n).allSatisfy { haystack[i + $0] == p[$0] } }
        }
    }

    private static func write(_ node: HTMLNode, into out: inout Writer, list: ListKind?) {
        switch node.kind {
        case .text:
            out.write(node.text)
            return
        case .element:
            break
        case .other:
            return
        }
        let tag = node.name
        if skipped.contains(tag) || isHidden(node) { return }
        switch tag {
        case "br":
            out.breakLines(1)
            out.raw("")
            out.pendingBreaks = 1
            return
        case "bdi":
            // Isolated text stays isolated in plain text: Unicode's first-strong isolate and pop around it.
            var inner = Writer()
            for c in node.children { write(c, into: &inner, list: nil) }
            let text = inner.trimmed()
            if !text.isEmpty { out.write("\u{2068}" + text + "\u{2069}") }
            return
        case "hr":
            out.breakLines(2)
            out.raw(String(repeating: "-", count: 40))
            out.breakLines(2)
            return
        case "img":
            if let alt = node.attribute("alt")?.trimmingCharacters(in: .whitespacesAndNewlines), !alt.isEmpty {
                out.write(" " + alt + " ")
            }
            return
        case "h1", "h2", "h3", "h4", "h5", "h6":
            var inner = Writer()
            for c in node.children { write(c, into: &inner, list: nil) }
            let heading = inner.trimmed()
            guard !heading.isEmpty else { return }
            out.breakLines(2)
            out.raw(heading)
            if tag == "h1" || tag == "h2" {
                out.raw("\n" + String(repeating: tag == "h1" ? "=" : "-", count: min(DisplayWidth.columns(of: heading), 78)))
            }
            out.breakLines(2)
            return
        case "a":
            var inner = Writer()
            for c in node.children { write(c, into: &inner, list: nil) }
            let label = inner.trimmed()
            let href = node.attribute("href")?.trimmingCharacters(in: .whitespaces) ?? ""
            let url = href.hasPrefix("mailto:") ? String(href.dropFirst(7)) : href
            if url.isEmpty || url.hasPrefix("#") || url.lowercased().hasPrefix("javascript:") || url == label {
                out.write(label.isEmpty ? url : label)
            } else if label.isEmpty {
                out.write(url)
            } else {
                out.write(label)
                out.raw(" (\(url))")
            }
            return
        case "tr":
            var cells: [String] = []
            for c in node.children where c.kind == .element && ["td", "th"].contains(c.name) && !isHidden(c) {
                var inner = Writer()
                for g in c.children { write(g, into: &inner, list: nil) }
                let cell = inner.trimmed()
                if !cell.isEmpty { cells.append(cell) }
            }
            guard !cells.isEmpty else { return }
            out.breakLines(cells.contains { $0.contains("\n") } ? 2 : 1)
            out.raw(cells.contains { $0.contains("\n") } ? cells.joined(separator: "\n\n") : cells.joined(separator: " | "))
            out.breakLines(1)
            return
        case "pre":
            out.breakLines(2)
            out.preformatted = true
            for c in node.children { write(c, into: &out, list: nil) }
            out.preformatted = false
            out.breakLines(2)
            return
        case "ul", "ol":
            out.breakLines(list == nil ? 2 : 1)
            var counter = Int(node.attribute("start") ?? "") ?? 1
            for c in node.children {
                if c.kind == .element, c.name == "li" {
                    out.breakLines(1)
                    out.raw(tag == "ol" ? "\(counter). " : "- ")
                    counter += 1
                    for g in c.children { write(g, into: &out, list: tag == "ol" ? .numbers(counter) : .bullets) }
                    out.breakLines(1)
                } else {
                    write(c, into: &out, list: list)
                }
            }
            out.breakLines(list == nil ? 2 : 1)
            return
        default:
            break
        }
        let breaks = paragraphs.contains(tag) ? 2 : lines.contains(tag) ? 1 : 0
        if breaks > 0 { out.breakLines(breaks) }
        for c in node.children { write(c, into: &out, list: list) }
        if breaks > 0 { out.breakLines(breaks) }
    }
}
