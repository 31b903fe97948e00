import Synchronization
import HTMLCheck

/// Moves a document's `<style>` rules onto the elements they select, as email clients need (many drop `<style>`
/// blocks): the cascade is worked out per element (importance, then origin, then specificity, then order, with
/// the element's own `style` attribute above any selector), and the winning declarations are written into its
/// `style` attribute. What cannot be inlined stays in its `<style>` block: at-rules (`@media`, `@font-face`),
/// rules with pseudo-classes or pseudo-elements, and selectors this reader does not understand. A `<style>` with a
/// `data-embed` attribute, or with a `media` other than `all` or `screen`, is left alone.
enum CSSInliner {
    /// One inlinable selector of a rule, with its declarations.
    struct Entry {
        let selector: Selector
        let declarations: [CSSDeclaration]
        let order: Int
    }

    /// Elements styles are not written onto.
    static let unstyled: Set<String> = ["head", "style", "script", "title", "meta", "link", "base", "template", "noscript"]

    static func inline(_ tree: HTMLTree) {
        let elements = tree.elements()
        var entries: [Entry] = []
        for node in elements where node.name == "style" {
            if node.hasAttribute("data-embed") { continue }
            if let media = node.attribute("media")?.trimmed.lowercased(), !media.isEmpty, media != "all", media != "screen" {
                continue
            }
            let parsed = parse(node.textContent)
            for (selector, declarations) in parsed.rules {
                entries.append(Entry(selector: selector, declarations: declarations, order: entries.count))
            }
            let kept = parsed.kept
            if kept.isEmpty {
                node.remove()
            } else {
                node.setText("\n" + kept.joined(separator: "\n") + "\n")
            }
        }
        guard !entries.isEmpty else { return }
        let index = ElementIndex(tree)
        let buckets = Buckets(entries)
        for e in index.nodes.indices where !index.inHead[e] && !unstyled.contains(index.tags[e]) {
            var matched: [Int] = []
            buckets.candidates(for: e, in: index) { i in
                if index.matches(entries[i].selector, e) { matched.append(i) }
            }
            guard !matched.isEmpty else { continue }
            apply(matched.map { entries[$0] }, to: index.nodes[e])
        }
    }

    /// A `<style>` block's CSS read for inlining: the inlinable selectors with their declarations, in order, and
    /// what stays in the block.
    struct ParsedStyle: Sendable {
        var rules: [(Selector, [CSSDeclaration])] = []
        var kept: [String] = []
    }

    /// The same layout sends the same CSS in every email, so a block's reading is kept (a few hundred at most).
    private static let parsedStyles = Mutex<[String: ParsedStyle]>([:])

    static func parse(_ css: String) -> ParsedStyle {
        if let known = parsedStyles.withLock({ $0[css] }) { return known }
        var parsed = ParsedStyle()
        for item in Stylesheet(css).items {
            switch item {
            case .atRule(let text):
                parsed.kept.append(text)
            case .rule(let selectorText, let declarations):
                var leftOver: [String] = []
                for part in Selector.splitList(selectorText) {
                    if let selector = Selector(part) {
                        parsed.rules.append((selector, declarations))
                    } else {
                        leftOver.append(part)
                    }
                }
                if !leftOver.isEmpty, !declarations.isEmpty {
                    parsed.kept.append(leftOver.joined(separator: ", ") + " { " + declarations.map(\.text).joined(separator: "; ") + " }")
                }
            }
        }
        parsedStyles.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[css] = parsed
        }
        return parsed
    }

    /// Writes the cascade's result for one element into its `style` attribute.
    private static func apply(_ matched: [Entry], to node: HTMLNode) {
        // (important, from the style attribute, specificity, order): later in this order wins.
        typealias Rank = (Bool, Bool, (Int, Int, Int), Int)
        var ranked: [(rank: Rank, declaration: CSSDeclaration)] = []
        for entry in matched {
            for (k, d) in entry.declarations.enumerated() {
                ranked.append(((d.important, false, entry.selector.specificity, entry.order * 1000 + k), d))
            }
        }
        if let own = node.attribute("style") {
            for (k, d) in CSSDeclaration.parseList(own).enumerated() {
                ranked.append(((d.important, true, (0, 0, 0), k), d))
            }
        }
        ranked.sort { a, b in
            if a.rank.0 != b.rank.0 { return !a.rank.0 }
            if a.rank.1 != b.rank.1 { return !a.rank.1 }
            if a.rank.2 != b.rank.2 { return a.rank.2 < b.rank.2 }
            return a.rank.3 < b.rank.3
        }
        // Each property once, where its winning declaration stands, so shorthands and longhands keep their order.
        var last: [String: Int] = [:]
        for (i, r) in ranked.enumerated() { last[r.declaration.property] = i }
        var parts: [String] = []
        for (i, r) in ranked.enumerated() where last[r.declaration.property] == i {
            parts.append(r.declaration.property + ": " + r.declaration.value)
        }
        node.setAttribute("style", parts.joined(separator: "; "))
    }

    /// The elements with what selectors read from them, so matching does not go back to libxml2 for each test.
    struct ElementIndex {
        var nodes: [HTMLNode] = []
        var tags: [String] = []
        var ids: [String?] = []
        var classes: [[String]] = []
        var parent: [Int] = []
        var previous: [Int] = []
        var inHead: [Bool] = []

        init(_ tree: HTMLTree) {
            walk(tree.topLevel, parent: -1, inHead: false)
        }

        private mutating func walk(_ siblings: [HTMLNode], parent p: Int, inHead: Bool) {
            var previousSibling = -1
            for n in siblings where n.kind == .element {
                let i = nodes.count
                let tag = n.name.lowercased()
                nodes.append(n)
                tags.append(tag)
                ids.append(n.attribute("id"))
                classes.append(n.attribute("class")?.split(whereSeparator: \.isWhitespace).map(String.init) ?? [])
                parent.append(p)
                previous.append(previousSibling)
                let head = inHead || tag == "head"
                self.inHead.append(head)
                previousSibling = i
                walk(n.children, parent: i, inHead: head)
            }
        }

        func matches(_ selector: Selector, _ e: Int) -> Bool {
            matches(selector, selector.compounds.count - 1, e)
        }

        private func matches(_ selector: Selector, _ k: Int, _ e: Int) -> Bool {
            guard matches(selector.compounds[k], e) else { return false }
            if k == 0 { return true }
            switch selector.combinators[k - 1] {
            case .child:
                return parent[e] >= 0 && matches(selector, k - 1, parent[e])
            case .descendant:
                var p = parent[e]
                while p >= 0 {
                    if matches(selector, k - 1, p) { return true }
                    p = parent[p]
                }
                return false
            case .adjacent:
                return previous[e] >= 0 && matches(selector, k - 1, previous[e])
            case .sibling:
                var s = previous[e]
                while s >= 0 {
                    if matches(selector, k - 1, s) { return true }
                    s = previous[s]
                }
                return false
            }
        }

        private func matches(_ c: Selector.Compound, _ e: Int) -> Bool {
            if let tag = c.tag, tag != tags[e] { return false }
            if let id = c.id, id != ids[e] { return false }
            for name in c.classes where !classes[e].contains(name) { return false }
            for a in c.attributes where !a.matches(nodes[e].attribute(a.name)) { return false }
            return true
        }
    }

    /// Selectors filed by their subject's most telling part (id, else a class, else the tag), so each element tries
    /// only the ones that could match it.
    struct Buckets {
        var byID: [String: [Int]] = [:]
        var byClass: [String: [Int]] = [:]
        var byTag: [String: [Int]] = [:]
        var universal: [Int] = []

        init(_ entries: [Entry]) {
            for (i, entry) in entries.enumerated() {
                let subject = entry.selector.subject
                if let id = subject.id {
                    byID[id, default: []].append(i)
                } else if let name = subject.classes.first {
                    byClass[name, default: []].append(i)
                } else if let tag = subject.tag {
                    byTag[tag, default: []].append(i)
                } else {
                    universal.append(i)
                }
            }
        }

        func candidates(for e: Int, in index: ElementIndex, _ body: (Int) -> Void) {
            if let id = index.ids[e], let list = byID[id] { list.forEach(body) }
            var seen: Set<String> = []
            for name in index.classes[e] where seen.insert(name).inserted {
                byClass[name]?.forEach(body)
            }
            byTag[index.tags[e]]?.forEach(body)
            universal.forEach(body)
        }
    }
}
