import Foundation
import HTMLCheck

/// Small steps of finishing an email's tree.
enum EmailFinishing {
    /// A `<title>`'s text with every `<bdi>` in it (parsed as an element, or left as the text `<bdi>`) made Unicode's
    /// first-strong isolate and pop: a title shows text, not markup.
    static func isolateInTitle(_ title: HTMLNode) {
        var text = ""
        var changed = false
        for child in title.children {
            if child.kind == .element, child.name == "bdi" {
                text += "\u{2068}" + child.textContent + "\u{2069}"
                changed = true
            } else {
                text += child.kind == .text ? child.text : child.textContent
            }
        }
        if text.contains("<bdi>") || text.contains("</bdi>") {
            text = text.replacingOccurrences(of: "<bdi>", with: "\u{2068}").replacingOccurrences(of: "</bdi>", with: "\u{2069}")
            changed = true
        }
        if changed { title.setText(text) }
    }

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
