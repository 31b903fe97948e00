import HTMLCheck
import Testing
@testable import Delivery

/// Inlines the document's styles and returns the result.
func inlined(_ html: String) -> String {
    let tree = HTMLTree(html: html)!
    CSSInliner.inline(tree)
    return tree.serialize()
}

/// The `style` attribute the inliner gave the first element with `id`.
func style(of id: String, in html: String) -> String? {
    let tree = HTMLTree(html: html)!
    CSSInliner.inline(tree)
    return tree.elements().first { $0.attribute("id") == id }.flatMap { $0.attribute("style") }
}

func page(_ css: String, _ body: String) -> String {
    "<!DOCTYPE html><html><head><style>\(css)</style></head><body>\(body)</body></html>"
}

@Suite("CSS inlining")
struct CSSInlinerTests {
    @Test func typeClassIDAndAttributeSelectors() {
        let html = page("p { color: red } .note { font-size: 12px } #x { margin: 0 } [data-kind=promo] { border: 1px solid } a[href^=\"https\"] { color: blue }",
                        "<p id=x class=note data-kind=promo>t</p><a id=l href='https://n.example'>l</a><a id=m href='/rel'>m</a>")
        #expect(style(of: "x", in: html) == "color: red; font-size: 12px; border: 1px solid; margin: 0")
        #expect(style(of: "l", in: html) == "color: blue")
        #expect(style(of: "m", in: html) == nil)
    }

    @Test func descendantChildAndSiblingCombinators() {
        let html = page("table td a { color: green } .card > p { padding: 4px } h2 + p { margin-top: 0 } h2 ~ span { color: gray }",
                        "<table><tr><td><a id=a href=#>x</a></td></tr></table><div class=card><p id=direct>d</p><div><p id=deep>e</p></div></div>"
                            + "<h2>h</h2><p id=next>n</p><span id=later>s</span>")
        #expect(style(of: "a", in: html) == "color: green")
        #expect(style(of: "direct", in: html) == "padding: 4px")
        #expect(style(of: "deep", in: html) == nil)
        #expect(style(of: "next", in: html) == "margin-top: 0")
        #expect(style(of: "later", in: html) == "color: gray")
    }

    @Test func specificityOrderImportantAndTheStyleAttribute() {
        let css = "#p { color: red } p.a { color: blue } p { color: green; padding: 1px } .b { padding-left: 9px } p { font-weight: bold !important }"
        let html = page(css, "<p id=p class='a b' style='font-weight: normal; margin: 2px'>x</p><p id=q class=a style='color: black'>y</p>")
        // The id rule beats the class and type rules; padding-left comes after padding (more specific), so it wins
        // over the shorthand's left side; an !important rule beats the element's own style; own style beats rules.
        #expect(style(of: "p", in: html) == "padding: 1px; padding-left: 9px; color: red; margin: 2px; font-weight: bold")
        #expect(style(of: "q", in: html) == "padding: 1px; color: black; font-weight: bold")
        let own = page("p { color: red !important }", "<p id=r style='color: blue !important'>z</p>")
        #expect(style(of: "r", in: own) == "color: blue")
    }

    @Test func mediaQueriesAndPseudoClassesStayInTheStyleBlock() {
        let html = page("a { color: red } a:hover, a.x { text-decoration: underline } @media (max-width: 600px) { .col { width: 100% !important } } p::first-line { font-weight: bold }",
                        "<a id=a class=x href=#>a</a><p class=col>p</p>")
        let out = inlined(html)
        #expect(out.contains("a:hover { text-decoration: underline }"))
        #expect(out.contains("@media (max-width: 600px) { .col { width: 100% !important } }"))
        #expect(out.contains("p::first-line { font-weight: bold }"))
        #expect(!out.contains("a { color: red }"))
        #expect(style(of: "a", in: html) == "color: red; text-decoration: underline")
    }

    @Test func anEmptiedStyleBlockGoesAndKeptOnesStay() {
        let out = inlined(page("p { color: red }", "<p>x</p>"))
        #expect(!out.contains("<style"))
        #expect(out.contains("<p style=\"color: red\">x</p>"))
        let embedded = "<html><head><style data-embed>p { color: red }</style><style media=print>p { color: blue }</style></head><body><p>x</p></body></html>"
        let kept = inlined(embedded)
        #expect(kept.contains("<style data-embed>p { color: red }</style>"))
        #expect(kept.contains("<style media=\"print\">p { color: blue }</style>"))
        #expect(kept.contains("<p>x</p>"))
    }

    @Test func commentsStringsAndBrokenCSSDoNotStopIt() {
        let css = "/* brand */ p { color: red; /* note */ background: url(\"a;b.png\") } } .x { color: } div { font-family: 'A;B', serif } .y { color: blue"
        let html = page(css, "<p id=p>x</p><div id=d>d</div><span id=s class=y>s</span>")
        #expect(style(of: "p", in: html) == "color: red; background: url(\"a;b.png\")")
        #expect(style(of: "d", in: html) == "font-family: 'A;B', serif")
        #expect(style(of: "s", in: html) == "color: blue")
    }

    @Test func aLargeDocumentComesBackWhole() {
        let rows = (0..<2000).map { "<tr><td class=c>row \($0) 山田</td></tr>" }.joined()
        let out = inlined(page(".c { padding: 4px }", "<table>\(rows)</table>"))
        #expect(out.hasPrefix("<!DOCTYPE html>"))
        #expect(out.contains("<td class=\"c\" style=\"padding: 4px\">row 0 山田</td>"))
        #expect(out.contains("<td class=\"c\" style=\"padding: 4px\">row 1999 山田</td></tr></table></body></html>"))
    }

    @Test func headElementsAreNotStyledAndTextIsKept() {
        let out = inlined("<html><head><title>T</title><style>* { margin: 0 } title { color: red }</style></head>"
            + "<body><p>Ада 山田 &amp; &lt;b&gt;</p></body></html>")
        #expect(out.contains("<title>") && !out.contains("<title style"))
        #expect(out.contains("<p style=\"margin: 0\">Ада 山田 &amp; &lt;b&gt;</p>"))
        #expect(out.contains("<body style=\"margin: 0\">"))
    }
}

@Suite("Link decoration")
struct LinkDecorationTests {
    let parameters = [("utm_source", "stagecraft"), ("utm_medium", "email"), ("utm_campaign", "spring sale")]

    @Test func addsWhatIsMissingAndKeepsWhatIsThere() {
        #expect(LinkDecoration.decorate("https://northwind.example/a", parameters: parameters, hosts: [])
            == "https://northwind.example/a?utm_source=stagecraft&utm_medium=email&utm_campaign=spring%20sale")
        #expect(LinkDecoration.decorate("https://northwind.example/a?utm_source=partner&x=1#top", parameters: parameters, hosts: [])
            == "https://northwind.example/a?utm_source=partner&x=1&utm_medium=email&utm_campaign=spring%20sale#top")
        #expect(LinkDecoration.decorate("https://shop.northwind.example:8443/", parameters: parameters, hosts: ["northwind.example"])
            == "https://shop.northwind.example:8443/?utm_source=stagecraft&utm_medium=email&utm_campaign=spring%20sale")
    }

    @Test func leavesOtherLinksAlone() {
        #expect(LinkDecoration.decorate("https://elsewhere.example/", parameters: parameters, hosts: ["northwind.example"]) == nil)
        #expect(LinkDecoration.decorate("https://evilnorthwind.example/", parameters: parameters, hosts: ["northwind.example"]) == nil)
        #expect(LinkDecoration.decorate("mailto:help@northwind.example", parameters: parameters, hosts: []) == nil)
        #expect(LinkDecoration.decorate("/relative", parameters: parameters, hosts: []) == nil)
    }

    @Test func inADocumentTheUnsubscribeLinkAndMarkedLinksAreSkipped() {
        let tree = HTMLTree(html: "<html><body><a id=a href='https://n.example/x'>x</a><a id=u href='https://n.example/unsub?u=1'>u</a>"
            + "<a id=o data-track=off href='https://n.example/y'>y</a></body></html>")!
        LinkDecoration.decorate(tree, parameters: [("utm_medium", "email")], hosts: [], skipping: "https://n.example/unsub?u=1")
        let out = tree.serialize()
        #expect(out.contains("href=\"https://n.example/x?utm_medium=email\""))
        #expect(out.contains("href=\"https://n.example/unsub?u=1\""))
        #expect(out.contains("<a id=\"o\" href=\"https://n.example/y\">"))
    }
}
