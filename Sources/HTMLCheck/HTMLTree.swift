internal import CLibXML2

typealias NodePointer = UnsafeMutablePointer<xmlNode>

/// An HTML document parsed by libxml2 into its tree, to be read, changed and written back out: an email's finishing
/// steps (CSS inlining, link decoration, the preheader, the text version) work on one. Owned by one thread at a
/// time; nodes handed out keep their tree alive, and a node removed from the tree is freed with the tree, so a
/// handle never outlives what it points at.
public final class HTMLTree {
    let document: htmlDocPtr
    /// Nodes taken out of the document (or made and not yet placed), each freed once with it.
    private var detached: Set<NodePointer> = []

    /// Parses `html` (UTF-8) leniently, as browsers do: callers check the markup first (`HTMLValidator`), so the
    /// tree is of HTML already known to be valid. Nil for an empty string or one libxml2 cannot read at all.
    public init?(html: String) {
        LibXML2Parser.prepare()
        let bytes = Array(html.utf8)
        guard !bytes.isEmpty else { return nil }
        let options = Int32(HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NODEFDTD.rawValue | HTML_PARSE_NOIMPLIED.rawValue)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                htmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", options)
            }
        }
        guard let parsed else { return nil }
        document = parsed
    }

    deinit {
        for node in detached { xmlFreeNode(node) }
        xmlFreeDoc(document)
    }

    /// The root element (`<html>`, or the first element of a fragment).
    public var root: HTMLNode? { xmlDocGetRootElement(document).map { HTMLNode($0, in: self) } }

    /// The document's top-level nodes in order (a doctype, comments, the root element).
    public var topLevel: [HTMLNode] { HTMLNode.list(from: document.pointee.children, in: self) }

    /// The document as HTML, in UTF-8 (characters kept as they are, not turned into entities).
    public func serialize() -> String {
        // libxml2 2.9 reads the output encoding from an http-equiv meta only, and without one escapes every
        // non-ASCII character; writing through a UTF-8 buffer keeps text as text.
        guard let buffer = xmlAllocOutputBuffer(nil) else { return "" }
        htmlDocContentDumpFormatOutput(buffer, document, "UTF-8", 0)
        let size = Int(xmlOutputBufferGetSize(buffer))
        let text = xmlOutputBufferGetContent(buffer).map {
            String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self)
        } ?? ""
        xmlOutputBufferClose(buffer)
        return text
    }

    /// Every element in document order.
    public func elements() -> [HTMLNode] {
        var list: [HTMLNode] = []
        func walk(_ node: NodePointer?) {
            var current = node
            while let n = current {
                if n.pointee.type == XML_ELEMENT_NODE {
                    list.append(HTMLNode(n, in: self))
                    walk(n.pointee.children)
                }
                current = n.pointee.next
            }
        }
        walk(document.pointee.children)
        return list
    }

    /// A new element of this document, not yet placed; `prepend(_:)` places it. One never placed is freed with
    /// the tree.
    public func makeElement(_ name: String) -> HTMLNode? {
        guard let node = HTMLNode.withXMLString(name, { xmlNewDocNode(document, nil, $0, nil) }) else { return nil }
        detached.insert(node)
        return HTMLNode(node, in: self)
    }

    fileprivate func isDetached(_ node: NodePointer) -> Bool { detached.contains(node) }

    fileprivate func adopt(_ node: NodePointer) {
        detached.remove(node)
    }

    /// Takes `node` out of the document, to be freed with the tree; a node already out stays as it is.
    fileprivate func release(_ node: NodePointer) {
        guard !detached.contains(node), !isInsideDetached(node) else { return }
        xmlUnlinkNode(node)
        detached.insert(node)
    }

    /// Whether an ancestor of `node` was taken out (its subtree is freed with that ancestor).
    private func isInsideDetached(_ node: NodePointer) -> Bool {
        var parent = node.pointee.parent
        while let p = parent {
            if detached.contains(p) { return true }
            parent = p.pointee.parent
        }
        return false
    }
}

/// One node of an `HTMLTree`: an element, a run of text, or something else (a comment, a doctype).
public struct HTMLNode {
    public enum Kind: Sendable { case element, text, other }

    let pointer: NodePointer
    /// Keeps the document alive while the node is held.
    let tree: HTMLTree

    init(_ pointer: NodePointer, in tree: HTMLTree) {
        self.pointer = pointer
        self.tree = tree
    }

    public var kind: Kind {
        switch pointer.pointee.type {
        case XML_ELEMENT_NODE: .element
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE: .text
        default: .other
        }
    }

    /// An element's tag name, lowercase as libxml2's HTML parser gives it.
    public var name: String { pointer.pointee.name.map { String(cString: $0) } ?? "" }

    /// A text node's own text (entities already decoded).
    public var text: String { pointer.pointee.content.map { String(cString: $0) } ?? "" }

    /// All the text under the node (a `<style>`'s CSS).
    public var textContent: String {
        guard let content = xmlNodeGetContent(pointer) else { return "" }
        defer { stagecraft_xml_free(content) }
        return String(cString: content)
    }

    public var children: [HTMLNode] { Self.list(from: pointer.pointee.children, in: tree) }

    /// An attribute's value (names compare ignoring ASCII case), nil when the element has none of that name.
    public func attribute(_ key: String) -> String? {
        guard let attr = find(key) else { return nil }
        var value = ""
        var child = attr.pointee.children
        while let c = child {
            if let content = c.pointee.content { value += String(cString: content) }
            child = c.pointee.next
        }
        return value
    }

    public func hasAttribute(_ key: String) -> Bool { find(key) != nil }

    public func setAttribute(_ key: String, _ value: String) {
        Self.withXMLString(key) { k in Self.withXMLString(value) { v in _ = xmlSetProp(pointer, k, v) } }
    }

    public func removeAttribute(_ key: String) {
        Self.withXMLString(key) { k in _ = xmlUnsetProp(pointer, k) }
    }

    /// Replaces the element's children with one text node (written out raw inside `<style>`, escaped elsewhere).
    /// The children taken out are kept until the tree goes, so a handle to one stays valid (out of the document).
    public func setText(_ text: String) {
        var child = pointer.pointee.children
        while let c = child {
            child = c.pointee.next
            tree.release(c)
        }
        Self.withXMLString(text) { t in
            if let child = xmlNewDocText(pointer.pointee.doc, t) { xmlAddChild(pointer, child) }
        }
    }

    /// Makes `child`, an element of the same tree not yet placed (from `makeElement`) or taken out, this element's
    /// first child. Returns false, changing nothing, for anything else: a node of another tree, one still in the
    /// document (moving it could make a cycle), or text (libxml2 would merge it into a neighbour and free it).
    @discardableResult
    public func prepend(_ child: HTMLNode) -> Bool {
        guard child.tree === tree, child.kind == .element, kind == .element, tree.isDetached(child.pointer),
              !isInside(child.pointer)
        else { return false }
        tree.adopt(child.pointer)
        if let first = pointer.pointee.children {
            xmlAddPrevSibling(first, child.pointer)
        } else {
            xmlAddChild(pointer, child.pointer)
        }
        return true
    }

    /// Whether this node is `other` or lies under it.
    private func isInside(_ other: NodePointer) -> Bool {
        var node: NodePointer? = pointer
        while let n = node {
            if n == other { return true }
            node = n.pointee.parent
        }
        return false
    }

    /// Takes the node and what it holds out of the document.
    public func remove() { tree.release(pointer) }

    private func find(_ key: String) -> UnsafeMutablePointer<xmlAttr>? {
        var attr = pointer.pointee.properties
        while let a = attr {
            if let n = a.pointee.name, Self.equalsIgnoringASCIICase(n, key) { return a }
            attr = a.pointee.next
        }
        return nil
    }

    static func list(from first: NodePointer?, in tree: HTMLTree) -> [HTMLNode] {
        var list: [HTMLNode] = []
        var child = first
        while let c = child {
            list.append(HTMLNode(c, in: tree))
            child = c.pointee.next
        }
        return list
    }

    /// A Swift string as libxml2's `const xmlChar *` for the call.
    static func withXMLString<R>(_ s: String, _ body: (UnsafePointer<xmlChar>) -> R) -> R {
        s.withCString { $0.withMemoryRebound(to: xmlChar.self, capacity: s.utf8.count + 1, body) }
    }

    /// Compares a C name with an ASCII key, ignoring ASCII case, without making a String.
    private static func equalsIgnoringASCIICase(_ c: UnsafePointer<xmlChar>, _ key: String) -> Bool {
        var i = 0
        for k in key.utf8 {
            var b = c[i]
            if b == 0 { return false }
            if b >= 65 && b <= 90 { b += 32 }
            var kk = k
            if kk >= 65 && kk <= 90 { kk += 32 }
            if b != kk { return false }
            i += 1
        }
        return c[i] == 0
    }
}
