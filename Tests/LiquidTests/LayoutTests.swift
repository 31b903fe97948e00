import Testing
@testable import Liquid

@Suite("Layouts: extends and block")
struct LayoutTests {
    let layout = "<html><head>{% block head %}<title>{{ title }}</title>{% endblock %}</head>"
        + "<body>{% block body %}empty{% endblock %}<footer>{% block footer %}(c) {{ brand }}{% endblock footer %}</footer></body></html>"

    @Test func aPageReplacesTheBlocksItGivesAndKeepsTheOthers() throws {
        let page = "{% extends 'layouts/base' %}\nignored text\n{% block body %}<p>Hi {{ name }}</p>{% endblock %}"
        let out = try render(page, ["title": "T", "name": "Ada", "brand": "Northwind"], partials: ["layouts/base": layout])
        #expect(out == "<html><head><title>T</title></head><body><p>Hi Ada</p><footer>(c) Northwind</footer></body></html>")
    }

    @Test func blockSuperIsTheParentsVersion() throws {
        let page = "{% extends 'layouts/base' %}{% block footer %}{{ block.super }} | Unsubscribe{% endblock %}"
        let out = try render(page, ["brand": "N"], partials: ["layouts/base": layout])
        #expect(out.contains("<footer>(c) N | Unsubscribe</footer>"))
    }

    @Test func threeLevelsTheNearestToThePageWins() throws {
        let mid = "{% extends 'layouts/base' %}{% block body %}[mid {% block inner %}mid-inner{% endblock %}]{% endblock %}"
            + "{% block footer %}mid-footer{% endblock %}"
        let page = "{% extends 'layouts/mid' %}{% block inner %}page-inner+{{ block.super }}{% endblock %}"
            + "{% block footer %}page-footer{% endblock %}"
        let out = try render(page, [:], partials: ["layouts/base": layout, "layouts/mid": mid])
        #expect(out.contains("<body>[mid page-inner+mid-inner]<footer>page-footer</footer>"))
    }

    @Test func assignmentsInThePageReachTheLayout() throws {
        // Blocks render in the page's context: what a block assigns, later blocks see.
        let base = "{% block a %}{% endblock %}|{{ shown }}"
        let page = "{% extends 'base' %}{% block a %}{% assign shown = 'yes' %}A{% endblock %}"
        #expect(try render(page, [:], partials: ["base": base]) == "A|yes")
    }

    @Test func mistakesAreSyntaxErrorsWithTheirLine() {
        let late = renderError("<p>x</p>\n{% extends 'base' %}", partials: ["base": ""])
        #expect(late?.kind == .syntax)
        #expect(late?.line == 2)
        #expect(renderError("{% if true %}{% extends 'base' %}{% endif %}", partials: ["base": ""])?.kind == .syntax)
        #expect(renderError("{% extends base %}", partials: ["base": ""])?.kind == .syntax)
        #expect(renderError("{% block %}x{% endblock %}")?.kind == .syntax)
        #expect(renderError("{% block a %}x{% endblock b %}")?.kind == .syntax)
        #expect(renderError("{% extends 'base' %}{% block a %}{% endblock %}{% block a %}{% endblock %}",
                            partials: ["base": ""])?.kind == .syntax)
        #expect(renderError("{% block a %}unclosed")?.kind == .syntax)
    }

    @Test func aMissingLayoutOrALoopIsAnErrorNotAHang() {
        #expect(renderError("{% extends 'nowhere' %}")?.kind == .fileSystem)
        let loop = renderError("{% extends 'a' %}", partials: ["a": "{% extends 'b' %}", "b": "{% extends 'a' %}"])
        #expect(loop?.kind == .resourceLimit)
    }

    @Test func aLayoutAloneRendersItsDefaults() throws {
        #expect(try render(layout, ["title": "T", "brand": "B"])
            == "<html><head><title>T</title></head><body>empty<footer>(c) B</footer></body></html>")
    }

    @Test func analysisNamesTheLayoutAsAPartial() throws {
        let t = try Environment(loader: DictionaryLoader([:])).parse("{% extends 'layouts/email' %}{% block x %}{{ user.name }}{{ block.super }}{% endblock %}")
        #expect(t.analysis.partials == ["layouts/email"])
        #expect(t.analysis.tags.contains("extends"))
        #expect(t.analysis.globalVariables == ["user.name"])
    }
}
