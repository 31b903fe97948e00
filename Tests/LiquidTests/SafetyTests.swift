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

@Suite struct HostileInputTests {
    /// Markup built to overflow integers, nest without end or allocate without end gets an error or a result,
    /// never a crash.
    @Test(arguments: [
        "{% for i in (1..9223372036854775807) limit: 3 %}{{ i }}{% endfor %}",
        "{% for i in (-9223372036854775807..9223372036854775807) limit: 2 offset: 9223372036854775807 %}{{ i }}{% endfor %}",
        "{{ (1..9223372036854775807) | join: ',' }}",
        "{{ (1..9223372036854775807).size }}",
        "{% tablerow i in (1..5) limit: 9223372036854775807 offset: 2 cols: 0 %}{{ i }}{% endtablerow %}",
        "{{ 'a b c' | truncatewords: 9223372036854775807 }}",
        "{{ 1.5 | round: -9223372036854775807 }}{{ 15 | round: -9223372036854775807 }}{{ 1.5 | round: 9223372036854775807 }}",
        "{{ 9223372036854775807 | plus: 1 }}{{ -9223372036854775807 | minus: 10 }}{{ 9223372036854775807 | times: 3 }}",
        "{{ -9223372036854775807 | minus: 1 | divided_by: -1 }}{{ -9223372036854775807 | minus: 1 | modulo: -1 }}",
        "{{ 'abc' | slice: 9223372036854775807, 9223372036854775807 }}{{ 'abc' | slice: -9223372036854775807 }}",
        "{% if " + String(repeating: "a and ", count: 5000) + "b %}x{% endif %}",
        "{{ " + String(repeating: "(", count: 5000) + "1..2" + String(repeating: ")", count: 5000) + " }}",
        "{% render 'x' for (1..9223372036854775807) %}",
        "{{ '%' | date: '%9999999999Y' }}",
        String(repeating: "{% comment %}", count: 5000),
        String(repeating: "{% liquid\nif true\n", count: 3000),
    ])
    func endsInAResultOrAnError(_ source: String) {
        for mode in [ErrorMode.strict, .lax] {
            let environment = Environment(loader: DictionaryLoader(["x": "{{ x }}"]), errorMode: mode)
            do {
                let output = try environment.parse(source).render(["a": true, "b": true])
                #expect(output.utf8.count < 1 << 20)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func hugeRangesStayLazyOrAreRefused() throws {
        #expect(try render("{% for i in (1..9223372036854775807) limit: 3 %}{{ i }}{% endfor %}") == "123")
        #expect(try render("{% assign r = (1..9223372036854775807) %}{{ r.size }}") == "2305843009213693952")
        #expect(renderError("{{ (1..9223372036854775807) | join: ',' }}")?.kind == .resourceLimit)
        #expect(try render("{{ 9223372036854775807 | plus: 1 }}") == "9.223372036854776e+18")
    }
}
