import HTMLCheck

/// Small steps of finishing an email's tree.
enum EmailFinishing {
    /// Puts the preheader first in the body, hidden, where inbox previews read it, unless the template placed its
    /// own (an element with class `preheader`).
    static func insertPreheader(_ text: String, into tree: HTMLTree) {
        let elements = tree.elements()
        if elements.contains(where: { $0.attribute("class")?.split(separator: " ").contains("preheader") == true }) {
            return
        }
        guard let body = elements.first(where: { $0.name == "body" }) else { return }
        guard let div = tree.makeElement("div") else { return }
        div.setAttribute("class", "preheader")
        div.setAttribute("style", "display: none; max-height: 0; overflow: hidden; mso-hide: all")
        div.setText(text)
        body.prepend(div)
    }
}
