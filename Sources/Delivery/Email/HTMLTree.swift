import CLibXML2

typealias NodePointer = UnsafeMutablePointer<xmlNode>

/// An HTML document parsed by libxml2 into its tree, owned for one email's finishing steps (CSS inlining, link
/// decoration, the text version) and then written back out. Not shared between threads.
final class HTMLTree {
    let document: htmlDocPtr

    /// Parses `html` (UTF-8) leniently: the email's checks ran on it before, so what is here is valid HTML.
    init?(html: String) {
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

    deinit { xmlFreeDoc(document) }

    var root: NodePointer? { xmlDocGetRootElement(document) }

    /// The document as HTML, in UTF-8 (characters kept as they are, not turned into entities).
    func serialize() -> String {
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
    func elements() -> [NodePointer] {
        var list: [NodePointer] = []
        func walk(_ node: NodePointer?) {
            var current = node
            while let n = current {
                if n.pointee.type == XML_ELEMENT_NODE {
                    list.append(n)
                    walk(n.pointee.children)
                }
                current = n.pointee.next
            }
        }
        walk(document.pointee.children)
        return list
    }
}

/// Reading and writing a node's name, attributes and text.
enum DOM {
    /// The element's tag name, lowercased (libxml2's HTML parser lowercases already).
    static func name(_ node: NodePointer) -> String {
        node.pointee.name.map { String(cString: $0) } ?? ""
    }

    /// An attribute's value (names compare case-insensitively).
    static func attribute(_ node: NodePointer, _ key: String) -> String? {
        var attr = node.pointee.properties
        while let a = attr {
            if let n = a.pointee.name, strcasecmpUTF8(n, key) {
                var value = ""
                var child = a.pointee.children
                while let c = child {
                    if let content = c.pointee.content { value += String(cString: content) }
                    child = c.pointee.next
                }
                return value
            }
            attr = a.pointee.next
        }
        return nil
    }

    static func hasAttribute(_ node: NodePointer, _ key: String) -> Bool {
        var attr = node.pointee.properties
        while let a = attr {
            if let n = a.pointee.name, strcasecmpUTF8(n, key) { return true }
            attr = a.pointee.next
        }
        return false
    }

    static func setAttribute(_ node: NodePointer, _ key: String, _ value: String) {
        xmlString(key) { k in xmlString(value) { v in _ = xmlSetProp(node, k, v) } }
    }

    static func removeAttribute(_ node: NodePointer, _ key: String) {
        xmlString(key) { k in _ = xmlUnsetProp(node, k) }
    }

    /// The text content of an element (a `<style>`'s CSS).
    static func text(_ node: NodePointer) -> String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { stagecraft_xml_free(content) }
        return String(cString: content)
    }

    /// Replaces an element's children with one text node (a `<style>`'s CSS; libxml2 writes it out raw).
    static func setText(_ node: NodePointer, _ text: String) {
        xmlNodeSetContent(node, nil)
        xmlString(text) { t in
            if let child = xmlNewDocText(node.pointee.doc, t) { xmlAddChild(node, child) }
        }
    }

    /// A new element, not yet in the tree.
    static func newElement(_ name: String, in tree: HTMLTree) -> NodePointer? {
        xmlString(name) { xmlNewDocNode(tree.document, nil, $0, nil) }
    }

    /// Makes `child` the first child of `parent`.
    static func prepend(_ child: NodePointer, to parent: NodePointer) {
        if let first = parent.pointee.children {
            xmlAddPrevSibling(first, child)
        } else {
            xmlAddChild(parent, child)
        }
    }

    static func remove(_ node: NodePointer) {
        xmlUnlinkNode(node)
        xmlFreeNode(node)
    }

    static func children(_ node: NodePointer) -> [NodePointer] {
        var list: [NodePointer] = []
        var child = node.pointee.children
        while let c = child {
            list.append(c)
            child = c.pointee.next
        }
        return list
    }

    /// A Swift string as libxml2's `const xmlChar *` for the call.
    private static func xmlString<R>(_ s: String, _ body: (UnsafePointer<xmlChar>) -> R) -> R {
        s.withCString { $0.withMemoryRebound(to: xmlChar.self, capacity: s.utf8.count + 1, body) }
    }

    /// Compares a C name with an ASCII key, ignoring ASCII case, without making a String.
    private static func strcasecmpUTF8(_ c: UnsafePointer<xmlChar>, _ key: String) -> Bool {
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
