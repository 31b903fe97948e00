import CLibXML2

/// Small steps of finishing an email's tree.
enum EmailFinishing {
    /// Puts the preheader first in the body, hidden, where inbox previews read it, unless the template placed its
    /// own (an element with class `preheader`).
    static func insertPreheader(_ text: String, into tree: HTMLTree) {
        let elements = tree.elements()
        if elements.contains(where: { DOM.attribute($0, "class")?.split(separator: " ").contains("preheader") == true }) {
            return
        }
        guard let body = elements.first(where: { DOM.name($0) == "body" }) else { return }
        guard let div = DOM.newElement("div", in: tree) else { return }
        DOM.setAttribute(div, "class", "preheader")
        DOM.setAttribute(div, "style", "display: none; max-height: 0; overflow: hidden; mso-hide: all")
        DOM.setText(div, text)
        DOM.prepend(div, to: body)
    }
}
