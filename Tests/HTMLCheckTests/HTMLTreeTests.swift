import Testing
import HTMLCheck

/// The tree emails are finished on: nodes read and changed through handles that never point at freed memory, however
/// they are used.
@Suite struct HTMLTreeTests {
    static let page = "<html><head><style>p { color: red }</style></head><body><p id=a class='x y'>Hi &amp; bye</p><p id=b>two</p></body></html>"

    @Test func readChangeAndWriteBack() throws {
        let tree = try #require(HTMLTree(html: Self.page))
        let elements = tree.elements()
        #expect(elements.map(\.name) == ["html", "head", "style", "body", "p", "p"])
        let a = try #require(elements.first { $0.attribute("ID") == "a" })
        #expect(a.attribute("class") == "x y" && a.hasAttribute("class") && !a.hasAttribute("style"))
        #expect(a.children.map(\.kind) == [.text])
        #expect(a.children.first?.text == "Hi & bye")
        a.setAttribute("style", "color: blue")
        a.removeAttribute("class")
        let div = try #require(tree.makeElement("div"))
        div.setText("first")
        let body = try #require(elements.first { $0.name == "body" })
        #expect(body.prepend(div))
        #expect(tree.serialize().contains("<body><div>first</div><p id=\"a\" style=\"color: blue\">Hi &amp; bye</p>"))
    }

    @Test func removingTwiceOrRemovingWhatWasNeverPlacedFreesOnce() throws {
        let tree = try #require(HTMLTree(html: Self.page))
        let b = try #require(tree.elements().first { $0.attribute("id") == "b" })
        b.remove()
        b.remove()
        let text = try #require(b.children.first)
        text.remove()  // under a node already out: stays with it
        let made = try #require(tree.makeElement("span"))
        made.remove()
        made.remove()
        #expect(!tree.serialize().contains("two"))
        #expect(b.name == "p")  // still readable: freed only with the tree
    }

    @Test func handlesToChildrenReplacedBySetTextStayValid() throws {
        let tree = try #require(HTMLTree(html: Self.page))
        let a = try #require(tree.elements().first { $0.attribute("id") == "a" })
        let old = try #require(a.children.first)
        a.setText("new")
        #expect(old.text == "Hi & bye")
        old.remove()
        #expect(tree.serialize().contains("<p id=\"a\" class=\"x y\">new</p>"))
    }

    @Test func prependRefusesWhatWouldBreakTheTree() throws {
        let tree = try #require(HTMLTree(html: Self.page))
        let body = try #require(tree.elements().first { $0.name == "body" })
        let a = try #require(tree.elements().first { $0.attribute("id") == "a" })
        let html = try #require(tree.root)
        #expect(!a.prepend(html))  // an ancestor, still in the document
        #expect(!a.prepend(a))
        #expect(!body.prepend(a))  // in the document: moving it is not what prepend does
        #expect(!a.prepend(try #require(a.children.first)))  // text
        let other = try #require(HTMLTree(html: "<div>x</div>"))
        #expect(!body.prepend(try #require(other.makeElement("b"))))
        // A taken-out element holding this one cannot become its child.
        body.remove()
        #expect(!a.prepend(body))
        #expect(tree.serialize().contains("<html><head>"))
    }
}
