import Testing
@testable import Liquid

@Suite struct ErrorTests {
    struct Located: Sendable, CustomTestStringConvertible {
        let source: String
        let kind: LiquidError.Kind
        let line: Int
        let column: Int
        var testDescription: String { source }
    }

    @Test(arguments: [
        Located(source: "{% if x %}\n  {% endfi %}", kind: .syntax, line: 2, column: 3),
        Located(source: "a\nb {{ x | }}", kind: .syntax, line: 2, column: 10),
        Located(source: "{% for x in %}{% endfor %}", kind: .syntax, line: 1, column: 12),
        Located(source: "\n\n{% nosuchtag %}", kind: .syntax, line: 3, column: 1),
        Located(source: "{% if true %}never closed", kind: .syntax, line: 1, column: 1),
        Located(source: "héllo {{ 1 | divided_by: 0 }}", kind: .zeroDivision, line: 1, column: 14),
        Located(source: "x\n{% assign y = 'a' | slice: 'b' %}", kind: .argument, line: 2, column: 21),
        Located(source: "{{ 'a' }}\n{% if 1 < 'b' %}{% endif %}", kind: .argument, line: 2, column: 9),
    ])
    func errorsNameLineAndColumn(_ c: Located) throws {
        let error = try #require(renderError(c.source))
        #expect(error.kind == c.kind)
        #expect(error.templateName == "t.liquid")
        #expect(error.line == c.line)
        #expect(error.column == c.column)
    }

    @Test func descriptionShowsTheLineWithACaret() throws {
        let error = try #require(renderError("<p>\n  {% if user %}{% endfi %}\n</p>"))
        #expect(error.description == """
            t.liquid:2:16: Liquid syntax error: 'endfi' is not a valid delimiter for if tags. use endif
              2 |   {% if user %}{% endfi %}
                |                ^
            """)
    }

    @Test func partialErrorsNameThePartial() throws {
        let error = try #require(renderError("{% render 'card' %}", partials: ["card": "ok\n{{ x | divided_by: 0 }}"]))
        #expect(error.templateName == "card")
        #expect(error.line == 2)
    }

    @Test func strictVariablesNameTheFullPath() throws {
        let data: Value = ["user": ["profile": ["first_name": "Ada"]]]
        let strict = RenderOptions(strictVariables: true)
        let error = try #require(renderError("{{ user.profile.first_nme }}", data, options: strict))
        #expect(error.kind == .undefinedVariable)
        #expect(error.message == "undefined variable user.profile.first_nme")
        #expect(try render("{{ user.profile.first_name }}", data, options: strict) == "Ada")
        #expect(try render("{{ user.profile.first_nme }}", data) == "")
        let missingRoot = try #require(renderError("{% if nope %}{% endif %}", options: strict))
        #expect(missingRoot.message == "undefined variable nope")
    }

    @Test func strictFiltersRejectUnknownFilters() throws {
        let error = try #require(renderError("{{ 'a' | shout }}", options: RenderOptions(strictFilters: true)))
        #expect(error.kind == .undefinedFilter)
        #expect(error.column == 10)
        #expect(try render("{{ 'a' | shout }}") == "a")
    }

    @Test(arguments: ["{{ a | }}", "{% assign = 1 %}", "{% for in x %}{% endfor %}", "{% case %}{% endcase %}",
                      "{{ 'unterminated }}", "{% render x %}", "{% if a = b %}{% endif %}", "{% cycle %}"])
    func strictModeRejectsMalformedMarkup(_ source: String) {
        #expect(renderError(source)?.kind == .syntax)
    }

    @Test func laxModeReadsWhatShopifyLaxReads() throws {
        #expect(try render("{{ a b c }}", ["a": "A"], mode: .lax) == "A")
        #expect(try render("{{ 'x' | upcase extra }}", mode: .lax) == "X")
        #expect(try render("{% for i in (1..3), limit: 2 %}{{ i }}{% endfor %}", mode: .lax) == "12")
    }
}

@Suite struct ScopeTests {
    @Test(arguments: [
        ("{% for i in (1..2) %}{% assign x = i %}{% endfor %}{{ x }}", "2"),
        ("{% for i in (1..2) %}{% for j in (1..2) %}{% assign k = j %}{% endfor %}{% endfor %}{{ k }}{{ j }}", "2"),
        ("{% assign i = 'outer' %}{% for i in (1..2) %}{{ i }}{% assign i = 'set' %}{{ i }}{% endfor %}{{ i }}", "1122set"),
        ("{% capture c %}{% for i in (1..3) %}{{ i }}{% endfor %}{% endcapture %}{% for x in (1..1) %}{{ c }}{% endfor %}", "123"),
        ("{% increment n %}{% assign n = 5 %}{{ n }}{% increment n %}", "051"),
    ])
    func assignWritesTheOutermostScope(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }
}
