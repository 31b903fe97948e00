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

    /// User data that would open an element if printed raw.
    static let payload = "<x-evil onload=alert(1)>\"'&"
    static let data: Value = ["p": .string(payload), "items": [.string(payload), "b"], "obj": ["name": .string(payload)],
                              "none": "", "n": 3]
    static let partials = ["echo": "{{ v }}", "layout": "<div>{% block b %}{{ p }}{% endblock %}</div>"]

    /// Every tag that writes a value, with user data in it: nothing reaches the output unescaped.
    @Test(arguments: [
        "{{ p }}", "{{ obj.name }}", "{{ obj['name'] }}", "{{ items[0] }}", "{% echo p %}", "{% liquid\necho p %}",
        "{% cycle p, 'b' %}", "{% cycle 'g': 'a', p %}{% cycle 'g': 'a', p %}", "{% for i in items %}{% cycle i, p %}{% endfor %}",
        "{% for i in items %}{{ i }}{% else %}{{ p }}{% endfor %}", "{% tablerow i in items %}{{ i }}{% endtablerow %}",
        "{% capture c %}{{ p }}{% endcapture %}{{ c }}", "{% assign a = p %}{{ a }}", "{% case p %}{% when p %}{{ p }}{% endcase %}",
        "{% if p %}{{ p }}{% endif %}", "{% unless none %}{{ p }}{% endunless %}", "{% ifchanged %}{{ p }}{% endifchanged %}",
        "{% render 'echo', v: p %}", "{% include 'echo' with p as v %}", "{% render 'echo' for items as v %}",
        "{% extends 'layout' %}{% block b %}{{ p }}{% endblock %}", "{% extends 'layout' %}{% block b %}{{ block.super }}{% endblock %}",
        "{{ none | escape | default: p }}", "{{ none | escape | default: p | upcase }}", "{{ p | escape | default: p }}",
        "{{ none | h | default: p, allow_false: true }}", "{{ p | escape | append: p }}", "{{ p | escape | replace: 'x', p }}",
        "{{ p | escape_once | prepend: p }}", "{{ p | url_encode | append: p }}", "{{ p | newline_to_br }}",
    ])
    func noTagPrintsUserDataRaw(_ source: String) throws {
        let output = try render(source, Self.data, partials: Self.partials, options: Self.on)
        #expect(!output.contains("<x-evil"), "\(output)")
    }

    /// Every standard filter but `raw`, given user data as input and as arguments, in the shapes filters take:
    /// whatever it returns is escaped or was escaped by it.
    @Test(arguments: Environment().filters.names.sorted().filter { $0 != "raw" })
    func noFilterPrintsUserDataRaw(_ filter: String) throws {
        let inputs = ["p", "items", "obj", "none", "n"]
        let argumentLists = ["", ": p", ": p, p", ": 1", ": 1, p", ": 'name'", ": 'name', p", ": p, 1", ": n", ": items"]
        var rendered = 0
        for input in inputs {
            for arguments in argumentLists {
                for tail in ["", " | first", " | join: p"] {
                    guard let output = try? render("{{ \(input) | \(filter)\(arguments)\(tail) }}", Self.data, options: Self.on) else { continue }
                    rendered += 1
                    #expect(!output.contains("<x-evil"), "{{ \(input) | \(filter)\(arguments)\(tail) }} gave \(output)")
                }
            }
        }
        #expect(rendered > 0)
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

/// Work is charged by what it touches, not only by loop turns, and every render can be given a deadline and be
/// called off: the reproduction (a megabyte string split a million times) ends in milliseconds.
@Suite struct WorkAndDeadlineTests {
    /// Doubles a string to a megabyte, then splits it into characters in a long loop.
    static let splitting = """
        {% assign s = "x" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}
        {% for i in (1..1000000) %}{% assign n = s | split: "" | size %}{% endfor %}
        """

    @Test func filtersAreChargedForTheBytesAndItemsTheyTouch() throws {
        let error = try #require(renderError(Self.splitting))
        #expect(error.kind == .resourceLimit)
        #expect(error.message.contains("units of work"))
        // At the filter that went over (`split` or `size`), on the template's second line.
        #expect(error.line == 2)
        #expect([46, 58].contains(error.column))
    }

    @Test(arguments: [
        "{% for i in (1..1000000) %}{% if s == t %}{% endif %}{% endfor %}",
        "{% for i in (1..1000000) %}{% if s contains 'zz' %}{% endif %}{% endfor %}",
        "{% for i in (1..1000000) %}{% assign n = s.size %}{% endfor %}",
        "{% for i in (1..1000000) %}{% assign n = s | downcase %}{% endfor %}",
    ])
    func comparisonsAndSizesOfLargeStringsAreCharged(_ source: String) throws {
        let big = String(repeating: "y", count: 1 << 20)
        let error = try #require(renderError(source, ["s": .string(big), "t": .string(big + "!")]))
        #expect(error.kind == .resourceLimit)
    }

    @Test func theSampleWorkOfATypicalTemplateIsFarBelowTheLimit() throws {
        let items: Value = .array((0..<250).map { i in ["title": .string("Item \(i)"), "price": .int(i * 100)] })
        let source = "{% assign sorted = items | sort: 'price' | reverse %}{% for item in sorted limit: 20 %}"
            + "{{ item.title | upcase | truncate: 12 }} {{ item.price | money }}{% endfor %}"
        var options = RenderOptions()
        options.limits.maxWork = 10_000
        #expect(try !render(source, ["items": items], options: options).isEmpty)
    }

    @Test func aRenderPastItsDeadlineStopsWithATimeoutAtTheLoop() throws {
        var options = RenderOptions()
        options.limits.maxWork = .max
        options.limits.maxLoopIterations = .max
        options.deadline = .now + .milliseconds(50)
        let start = ContinuousClock.now
        let loops = "{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}"
        let error = try #require(renderError("{% assign s = 'ab' %}\n\(loops){% assign t = s | append: k %}{% endfor %}{% endfor %}{% endfor %}",
                                             options: options))
        #expect(error.kind == .timeout)
        #expect(error.kind.code == "render_timeout")
        #expect(error.line == 2)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aDeadlineAlreadyPassedStopsAtTheFirstCheckpoint() throws {
        var options = RenderOptions()
        options.deadline = .now - .seconds(1)
        #expect(renderError("{% for i in (1..10) %}{% endfor %}", options: options)?.kind == .timeout)
    }

    @Test func aCancelledRenderStops() throws {
        var options = RenderOptions()
        options.limits.maxWork = .max
        options.limits.maxLoopIterations = .max
        options.isCancelled = { true }
        let loops = "{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}"
        let error = try #require(renderError("\(loops){{ k }}{% endfor %}{% endfor %}{% endfor %}", options: options))
        #expect(error.kind == .cancelled)
        #expect(error.kind.code == "render_cancelled")
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

/// The one substring search behind `contains`, `replace`, `split` and `strip_html` finds what a naive search
/// finds, in linear time on the repetitive inputs that make naive searches quadratic.
@Suite struct ByteSearchTests {
    static func naive(_ haystack: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard from + needle.count <= haystack.count else { return nil }
        return (from...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func agreesWithANaiveSearch() {
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33) % n
        }
        for _ in 0..<2_000 {
            // A two-letter alphabet makes partial matches, where the fallback table matters, common.
            let haystack = (0..<next(80)).map { _ in UInt8(ascii: next(2) == 0 ? "a" : "b") }
            let needle = (0..<(1 + next(30))).map { _ in UInt8(ascii: next(3) == 0 ? "b" : "a") }
            let from = haystack.isEmpty ? 0 : next(haystack.count)
            let found = haystack.withUnsafeBufferPointer { ByteSearch(needle).firstIndex(in: $0, from: from) }
            #expect(found == Self.naive(haystack, needle, from: from), "\(haystack) \(needle) \(from)")
        }
    }

    @Test(arguments: [
        ("{{ s | replace: n, 'X' | size }}", "1048576"),
        ("{{ s | replace_last: n, 'X' | size }}", "1048576"),
        ("{{ s | split: n | size }}", "1"),
        ("{% if s contains n %}yes{% else %}no{% endif %}", "no"),
        ("{{ t | strip_html | size }}", "1048576"),
    ])
    func repetitiveTextAndPatternsAreSearchedOnce(_ source: String, _ expected: String) throws {
        // A pattern of 64 KB of `a` then `b`, in a megabyte of `a`: almost matching at every byte.
        let data: Value = ["s": .string(String(repeating: "a", count: 1 << 20)),
                           "n": .string(String(repeating: "a", count: 1 << 16) + "b"),
                           "t": .string(String(repeating: "<", count: 1 << 20))]
        #expect(try render(source, data) == expected)
    }

    @Test(arguments: [
        ("{{ 'abcabc' | replace_last: 'bc', 'X' }}", "abcaX"),
        ("{{ 'abcabc' | replace_first: 'bc', 'X' }}", "aXabc"),
        ("{{ 'aaaa' | replace: 'aa', 'b' }}", "bb"),
        ("{{ 'a--b--' | split: '--' | join: '|' }}", "a|b"),
        ("{{ 'x<script>a</script>y<b>z' | strip_html }}", "xyz"),
    ])
    func searchesKeepShopifysResults(_ source: String, _ expected: String) throws {
        #expect(try render(source) == expected)
    }
}

/// Inputs FuzzLiquid (scripts/fuzz) found that stopped the process: a float past Int's range where Liquid reads an
/// integer. Each renders now, as Ruby's unbounded integers would in effect (an empty range, a loop capped by its
/// collection, an index out of range).
@Suite struct FuzzFindingTests {
    @Test(arguments: [
        ("{% tablerow i in (18888888888888888888888888888888888888888888888888888888888888..5) cols:2 %}{{ i }} {{ tablerowloop.row }}{% endtablerow %}",
         "<tr class=\"row1\">\n</tr>\n"),
        ("{% for i in (10000000000000000000000000000000000000000..5) %}x{% endfor %}", ""),
        ("{% for i in (-10000000000000000000000000000000000000000..1) limit: 2 %}{{ forloop.index }}{% endfor %}", "12"),
        ("{% for i in (1..3) limit: 10000000000000000000000000000000000000000 %}{{ i }}{% endfor %}", "123"),
        ("{% for i in (1..3) offset: 10000000000000000000000000000000000000000 %}{{ i }}{% else %}none{% endfor %}", "none"),
        ("{% assign a = 'x,y' | split: ',' %}[{{ a[10000000000000000000000000000000000000000] }}][{{ a[-10000000000000000000000000000000000000000] }}]", "[][]"),
        ("{{ 9223372036854775807 | round: -1 | times: 0 }}", "0.0"),
    ])
    func bigFloatsWhereIntegersGo(template: String, expected: String) throws {
        #expect(try render(template) == expected)
    }
}
