import Testing
@testable import Liquid

@Suite struct AutoescapeTests {
    static let on = RenderOptions(autoescape: true)

    @Test(arguments: [
        ("{{ name }}", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
        ("{{ name | escape }}", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
        ("{{ name | escape | truncate: 14 }}", "&lt;script&..."),
        ("{{ name | raw }}", "<script>alert('x')</script> & co"),
        ("{{ '<b>' }}", "&lt;b&gt;"),
        ("{{ name | upcase }}", "&lt;SCRIPT&gt;ALERT(&#39;X&#39;)&lt;/SCRIPT&gt; &amp; CO"),
        ("{{ lines | newline_to_br }}", "a&lt;b<br />\nc"),
        ("{% echo name %}", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
    ])
    func escapesUnlessMarkedSafe(template: String, expected: String) throws {
        let data: Value = ["name": "<script>alert('x')</script> & co", "lines": "a<b\nc"]
        #expect(try render(template, data, options: Self.on) == expected)
    }

    @Test func offByDefaultAsInShopify() throws {
        #expect(try render("{{ x }}", ["x": "<b>"]) == "<b>")
    }
}

@Suite struct ResourceLimitTests {
    static func limits(_ change: (inout ResourceLimits) -> Void) -> RenderOptions {
        var limits = ResourceLimits()
        change(&limits)
        return RenderOptions(limits: limits)
    }

    @Test func loopIterationsAreCapped() throws {
        let options = Self.limits { $0.maxLoopIterations = 1000 }
        let error = try #require(renderError("{% for i in (1..100000000) %}x{% endfor %}", options: options))
        #expect(error.kind == .resourceLimit)
        let nested = try #require(renderError("{% for i in (1..100) %}{% for j in (1..100) %}{% endfor %}{% endfor %}", options: options))
        #expect(nested.kind == .resourceLimit)
        #expect(try render("{% for i in (1..10) %}{% endfor %}ok", options: options) == "ok")
    }

    @Test func outputIsCapped() throws {
        let options = Self.limits { $0.maxOutputBytes = 10_000 }
        let error = try #require(renderError("{% for i in (1..5000) %}abcdef{% endfor %}", options: options))
        #expect(error.kind == .resourceLimit)
    }

    @Test func doublingStringsIsCapped() throws {
        let source = "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}"
        let error = try #require(renderError(source))
        #expect(error.kind == .resourceLimit)
    }

    @Test func recursivePartialsAreCapped() throws {
        let error = try #require(renderError("{% render 'loop' %}", partials: ["loop": "x{% render 'loop' %}"]))
        #expect(error.kind == .resourceLimit)
        let include = try #require(renderError("{% include 'loop' %}", partials: ["loop": "x{% include 'loop' %}"]))
        #expect(include.kind == .resourceLimit)
    }

    @Test func templateSizeIsCapped() throws {
        var limits = ResourceLimits()
        limits.maxTemplateBytes = 100
        #expect(throws: LiquidError.self) {
            try Environment().parse(String(repeating: "a", count: 101), limits: limits)
        }
    }

    @Test func deepNestingIsASyntaxErrorNotACrash() throws {
        let source = String(repeating: "{% if true %}", count: 5000) + String(repeating: "{% endif %}", count: 5000)
        #expect(renderError(source)?.kind == .syntax)
        let brackets = "{{ a" + String(repeating: "[a", count: 5000) + String(repeating: "]", count: 5000) + " }}"
        #expect(renderError(brackets)?.kind == .syntax)
    }
}
