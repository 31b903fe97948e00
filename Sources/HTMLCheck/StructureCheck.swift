import Foundation

/// A problem found in the structure of the source, at a byte offset.
struct Finding {
    let severity: Diagnostic.Severity
    let code: String
    let message: String
    let offset: Int
}

/// What libxml2 repairs without a word: elements left open, blocks inside paragraphs, list items and table
/// cells out of place, and the channel's rules on elements and attributes. Follows the tags as written with a
/// stack of open elements, closing optional end tags as HTML5 does.
struct StructureCheck {
    let channel: HTMLChannel
    /// Whether `<script>` is allowed (a template explicitly marked as carrying one).
    var allowsScript = false

    /// Elements whose end tag may be left out.
    static let optionalEnd: Set<String> = [
        "li", "dt", "dd", "p", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup",
        "caption", "rt", "rp", "head", "body", "html",
    ]
    /// Start tags that close an open `p` (so they cannot be inside one).
    static let closesParagraph: Set<String> = [
        "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "main", "menu",
        "nav", "ol", "p", "pre", "search", "section", "table", "ul",
    ]
    /// Where the search for an element to close implicitly stops.
    static let paragraphScope: Set<String> = ["button", "table", "td", "th", "caption", "html", "body"]
    static let listScope: Set<String> = ["ul", "ol", "menu"]
    static let definitionScope: Set<String> = ["dl"]
    static let cellScope: Set<String> = ["tr", "table"]
    static let rowScope: Set<String> = ["table", "tbody", "thead", "tfoot"]
    static let optionScope: Set<String> = ["select", "datalist", "optgroup"]
    static let interactive: Set<String> = ["a", "button", "details", "embed", "iframe", "input", "label", "select", "textarea"]
    static let emailUnsupported: Set<String> = ["iframe", "object", "embed", "form", "video"]
    static let urlAttributes: Set<String> = ["href", "src", "action", "formaction", "background", "poster", "xlink:href"]

    func check(_ tags: [ScannedTag]) -> [Finding] {
        var findings: [Finding] = []
        var stack: [(name: String, offset: Int)] = []
        var ids: Set<String> = []
        var sawHTML = false, sawBody = false
        func error(_ code: String, _ message: String, _ offset: Int) {
            findings.append(Finding(severity: .error, code: code, message: message, offset: offset))
        }
        func isOpen(_ names: String...) -> Bool { stack.contains { names.contains($0.name) } }
        var foreignDepth = 0
        /// Closes the innermost `name` if it is open above any of `boundary`.
        func closeImplied(_ name: String, stoppingAt boundary: Set<String>) -> Bool {
            for index in stack.indices.reversed() {
                if stack[index].name == name {
                    stack.removeSubrange(index...)
                    return true
                }
                if boundary.contains(stack[index].name) { return false }
            }
            return false
        }

        for tag in tags {
            let name = tag.name
            let foreign = foreignDepth > 0
            if tag.isEnd {
                if HTMLElements.void.contains(name) {
                    error("unexpected-end-tag", "<\(name)> has no end tag; remove </\(name)>", tag.offset)
                    continue
                }
                guard let index = stack.lastIndex(where: { $0.name == name }) else {
                    error("unexpected-end-tag", "End tag </\(name)> does not match an open element", tag.offset)
                    continue
                }
                for open in stack[(index + 1)...].reversed() where !Self.optionalEnd.contains(open.name) && !foreign {
                    error("unclosed-element", "<\(open.name)> is not closed before </\(name)>", open.offset)
                }
                foreignDepth -= stack[index...].filter { $0.name == "svg" || $0.name == "math" }.count
                stack.removeSubrange(index...)
                continue
            }
            if foreign {
                if !tag.selfClosing {
                    stack.append((name, tag.offset))
                    if name == "svg" || name == "math" { foreignDepth += 1 }
                }
                continue
            }
            if name == "html" { sawHTML = true }
            if name == "body" { sawBody = true }
            // A new paragraph may end the last one without </p>; any other block inside a <p> is an error.
            if Self.closesParagraph.contains(name), closeImplied("p", stoppingAt: Self.paragraphScope), name != "p" {
                error("block-in-paragraph", "<\(name)> cannot be inside <p>: browsers close the paragraph before it", tag.offset)
            }
            switch name {
            case "li":
                _ = closeImplied("li", stoppingAt: Self.listScope)
                if !isOpen("ul", "ol", "menu") { error("misplaced-element", "<li> must be inside <ul>, <ol> or <menu>", tag.offset) }
            case "dt", "dd":
                _ = closeImplied("dt", stoppingAt: Self.definitionScope) || closeImplied("dd", stoppingAt: Self.definitionScope)
                if !isOpen("dl") { error("misplaced-element", "<\(name)> must be inside <dl>", tag.offset) }
            case "td", "th":
                _ = closeImplied("td", stoppingAt: Self.cellScope) || closeImplied("th", stoppingAt: Self.cellScope)
                if !isOpen("tr") { error("misplaced-element", "<\(name)> must be inside a table row <tr>", tag.offset) }
            case "tr":
                _ = closeImplied("tr", stoppingAt: Self.rowScope)
                if !isOpen("table", "tbody", "thead", "tfoot") { error("misplaced-element", "<tr> must be inside a <table>", tag.offset) }
            case "option":
                _ = closeImplied("option", stoppingAt: Self.optionScope)
            case "html", "head", "body":
                if channel == .web {
                    error("document-element-in-fragment", "<\(name)> belongs in a whole document, not in a fragment", tag.offset)
                }
            case "script" where !allowsScript:
                error("script", "<script> is not allowed in a template", tag.offset)
            default:
                break
            }
            if Self.interactive.contains(name), !(name == "input" && attribute("type", of: tag)?.lowercased() == "hidden"),
               let outer = stack.last(where: { $0.name == "a" || $0.name == "button" })
            {
                error("interactive-in-interactive", "<\(name)> cannot be inside <\(outer.name)>", tag.offset)
            }
            if channel == .email && Self.emailUnsupported.contains(name) {
                error("email-unsupported-element", "<\(name)> does not work in email clients", tag.offset)
            }
            checkAttributes(tag, ids: &ids, error)
            if !HTMLElements.void.contains(name) && !(tag.selfClosing && (name == "svg" || name == "math")) {
                stack.append((name, tag.offset))
                if name == "svg" || name == "math" { foreignDepth += 1 }
            }
        }
        for open in stack.reversed() where !Self.optionalEnd.contains(open.name) {
            error("unclosed-element", "<\(open.name)> is never closed", open.offset)
        }
        if channel == .email && !(sawHTML && sawBody) {
            error("not-a-document", "An email must be a whole document, with <html> and <body>", 0)
        }
        return findings.sorted { $0.offset < $1.offset }
    }

    func attribute(_ name: String, of tag: ScannedTag) -> String? {
        tag.attributes.last { $0.name == name }?.value
    }

    private func checkAttributes(_ tag: ScannedTag, ids: inout Set<String>, _ error: (String, String, Int) -> Void) {
        for attribute in tag.attributes {
            let value = attribute.value ?? ""
            if attribute.name == "id" && !value.isEmpty && !ids.insert(value).inserted {
                error("duplicate-id", "id \"\(value)\" is used twice", attribute.offset)
            }
            if attribute.name.hasPrefix("on") && attribute.name.count > 2 {
                error("event-handler-attribute", "Event handler attribute \(attribute.name) is not allowed", attribute.offset)
            }
            if Self.urlAttributes.contains(attribute.name) {
                let scheme = String(value.unicodeScalars.filter { $0.value > 0x20 }).lowercased()
                if scheme.hasPrefix("javascript:") || scheme.hasPrefix("vbscript:") {
                    error("javascript-url", "\(attribute.name) must not run script (\(attribute.name)=\"javascript:...\")", attribute.offset)
                }
            }
        }
        if tag.name == "img" && attribute("alt", of: tag) == nil {
            error("img-missing-alt", "<img> needs an alt attribute (alt=\"\" for a decorative image)", tag.offset)
        }
        guard channel == .email else { return }
        for attribute in tag.attributes {
            guard let value = attribute.value else { continue }
            if tag.name == "a" && attribute.name == "href" && !Self.isAbsolute(value, link: true) {
                error("relative-url", "Links in email must be absolute http(s), mailto: or tel: URLs, not \"\(value)\"", attribute.offset)
            }
            if tag.name == "img" && attribute.name == "src" && !Self.isAbsolute(value, link: false) {
                error("relative-url", "Images in email must have absolute http(s) URLs, not \"\(value)\"", attribute.offset)
            }
        }
    }

    static func isAbsolute(_ url: String, link: Bool) -> Bool {
        let lower = url.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") { return true }
        return link && (lower.hasPrefix("mailto:") || lower.hasPrefix("tel:"))
    }
}
