import Diagnostics
import Foundation

/// A problem found in the structure of the source, at a byte offset.
struct StructureFinding {
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
    static let linksAndButtons: Set<String> = ["a", "button"]
    static let interactive: Set<String> = ["a", "button", "details", "embed", "iframe", "input", "label", "select", "textarea"]
    static let emailUnsupported: Set<String> = ["iframe", "object", "embed", "form", "video"]
    static let urlAttributes: Set<String> = ["href", "src", "action", "formaction", "background", "poster", "xlink:href", "data"]
    /// Attributes that navigate (or submit) to their URL: a `data:` URL there is a document of its own. (An image's
    /// `src` may be a `data:` image.)
    static let navigableAttributes: Set<String> = ["href", "action", "formaction", "xlink:href"]
    static let frames: Set<String> = ["iframe", "frame", "embed", "object"]

    static func navigates(_ attribute: String, of element: String) -> Bool {
        navigableAttributes.contains(attribute) || ((attribute == "src" || attribute == "data") && frames.contains(element))
    }

    /// Attributes on one tag beyond which the HTML is refused unread by libxml2 (its duplicate check is quadratic).
    static let maxAttributes = 256
    /// Open elements beyond which the HTML is refused unread by libxml2 (it searches its stack per end tag).
    static let maxDepth = 512
    /// Problems that stop the check before libxml2 reads the HTML.
    static let tooComplex = ["too-many-attributes", "too-deep"]

    /// The problems in `tags`, in source order, the first few of each kind in full and the rest counted in `tally`.
    func check(_ tags: [ScannedTag], tally: inout ProblemTally) -> [StructureFinding] {
        var findings: [StructureFinding] = []
        var open = OpenElements()
        var ids: Set<String> = []
        var sawHTML = false, sawBody = false, reportedDepth = false
        func error(_ code: String, _ message: @autoclosure () -> String, _ offset: Int) {
            guard tally.admit(code) else { return }
            findings.append(StructureFinding(severity: .error, code: code, message: message(), offset: offset))
        }
        func push(_ name: String, _ offset: Int) {
            open.push(name, at: offset)
            if open.depth > Self.maxDepth && !reportedDepth {
                reportedDepth = true
                error("too-deep", "Elements are nested more than \(Self.maxDepth) deep here", offset)
            }
        }

        for tag in tags {
            let name = tag.name
            let foreign = open.foreignDepth > 0
            if tag.isEnd {
                if HTMLElements.void.contains(name) {
                    error("unexpected-end-tag", "<\(name)> has no end tag; remove </\(name)>", tag.offset)
                    continue
                }
                guard let index = open.innermost(name) else {
                    error("unexpected-end-tag", "End tag </\(name)> does not match an open element", tag.offset)
                    continue
                }
                open.pop(from: index + 1) { inner, offset in
                    if !Self.optionalEnd.contains(inner) && !foreign {
                        error("unclosed-element", "<\(inner)> is not closed before </\(name)>", offset)
                    }
                }
                open.pop(from: index)
                continue
            }
            if tag.attributes.count > Self.maxAttributes {
                error("too-many-attributes", "<\(name)> has \(tag.attributes.count) attributes; at most \(Self.maxAttributes) are checked", tag.offset)
            }
            if foreign {
                if !tag.selfClosing { push(name, tag.offset) }
                continue
            }
            if name == "html" { sawHTML = true }
            if name == "body" { sawBody = true }
            // A new paragraph may end the last one without </p>; any other block inside a <p> is an error.
            if Self.closesParagraph.contains(name), open.closeImplied("p", stoppingAt: Self.paragraphScope), name != "p" {
                error("block-in-paragraph", "<\(name)> cannot be inside <p>: browsers close the paragraph before it", tag.offset)
            }
            switch name {
            case "li":
                _ = open.closeImplied("li", stoppingAt: Self.listScope)
                if !open.isOpen(Self.listScope) { error("misplaced-element", "<li> must be inside <ul>, <ol> or <menu>", tag.offset) }
            case "dt", "dd":
                _ = open.closeImplied("dt", stoppingAt: Self.definitionScope) || open.closeImplied("dd", stoppingAt: Self.definitionScope)
                if !open.isOpen(Self.definitionScope) { error("misplaced-element", "<\(name)> must be inside <dl>", tag.offset) }
            case "td", "th":
                _ = open.closeImplied("td", stoppingAt: Self.cellScope) || open.closeImplied("th", stoppingAt: Self.cellScope)
                if open.innermost("tr") == nil { error("misplaced-element", "<\(name)> must be inside a table row <tr>", tag.offset) }
            case "tr":
                _ = open.closeImplied("tr", stoppingAt: Self.rowScope)
                if !open.isOpen(Self.rowScope) { error("misplaced-element", "<tr> must be inside a <table>", tag.offset) }
            case "option":
                _ = open.closeImplied("option", stoppingAt: Self.optionScope)
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
               let outer = open.innermost(anyOf: Self.linksAndButtons)
            {
                error("interactive-in-interactive", "<\(name)> cannot be inside <\(open.elements[outer].name)>", tag.offset)
            }
            if channel == .email && Self.emailUnsupported.contains(name) {
                error("email-unsupported-element", "<\(name)> does not work in email clients", tag.offset)
            }
            checkAttributes(tag, ids: &ids, error)
            if !HTMLElements.void.contains(name) && !(tag.selfClosing && (name == "svg" || name == "math")) {
                push(name, tag.offset)
            }
        }
        open.pop(from: 0) { name, offset in
            if !Self.optionalEnd.contains(name) { error("unclosed-element", "<\(name)> is never closed", offset) }
        }
        if channel == .email && !(sawHTML && sawBody) {
            error("not-a-document", "An email must be a whole document, with <html> and <body>", 0)
        }
        return findings.sorted { $0.offset < $1.offset }
    }

    func attribute(_ name: String, of tag: ScannedTag) -> String? {
        tag.attributes.last { $0.name == name }?.value
    }

    private func checkAttributes(_ tag: ScannedTag, ids: inout Set<String>, _ error: (String, @autoclosure () -> String, Int) -> Void) {
        for attribute in tag.attributes {
            let value = attribute.value ?? ""
            if attribute.name == "id" && !value.isEmpty && !ids.insert(value).inserted {
                error("duplicate-id", "id \"\(value)\" is used twice", attribute.offset)
            }
            if attribute.name.hasPrefix("on") && attribute.name.count > 2 {
                error("event-handler-attribute", "Event handler attribute \(attribute.name) is not allowed", attribute.offset)
            }
            if attribute.name == "srcdoc" {
                error("srcdoc-attribute", "srcdoc puts a whole document, scripts and all, in the frame; give it a src instead", attribute.offset)
            }
            if attribute.name == "formaction" {
                error("formaction-attribute", "formaction sends the form somewhere else than its action; it is not allowed", attribute.offset)
            }
            if Self.urlAttributes.contains(attribute.name), let scheme = URLAttribute.scheme(of: value) {
                if scheme == "javascript" || scheme == "vbscript" {
                    error("javascript-url", "\(attribute.name) must not run script (\(attribute.name)=\"\(scheme):...\")", attribute.offset)
                } else if scheme == "data" && Self.navigates(attribute.name, of: tag.name) {
                    error("data-url", "\(attribute.name) must not open a data: URL (a page of its own, with its own scripts)", attribute.offset)
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
