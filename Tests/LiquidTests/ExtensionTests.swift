import Liquid
import Synchronization
import Testing

/// Filters and tags added from outside the engine, through the public API alone.
@Suite struct ExtensionTests {
    static let shout: Filter = { input, args, _ in
        try args.expect("shout", min: 0, max: 1)
        let mark = args[0].map(\.description) ?? "!"
        return .string(input.description.uppercased() + mark)
    }
    static let greet = CustomTag("greet") { arguments, _, _ in
        .string("Hello, \(arguments[0]?.description ?? "you")\(arguments.keyword("punctuation")?.description ?? "")")
    }
    static let box = CustomTag("box", isBlock: true) { arguments, body, _ in
        .string("[\(arguments[0]?.description ?? "")|\(body ?? "")]")
    }
    static let environment = Environment(extraFilters: ["shout": shout], extraTags: [greet, box])

    @Test(arguments: [
        ("{{ 'hi' | shout }}", "HI!"),
        ("{{ user.name | shout: '?' }}", "ADA?"),
        ("{% greet user.name, punctuation: '!' %}", "Hello, Ada!"),
        ("{% greet %}", "Hello, you"),
        ("{% box 'a' %}{% for i in (1..3) %}{{ i }}{% endfor %}{% endbox %}", "[a|123]"),
        ("{% box user.name %}{% greet 'Bo' %}{% endbox %}", "[Ada|Hello, Bo]"),
    ])
    func addedFiltersAndTagsRender(_ source: String, _ expected: String) throws {
        #expect(try Self.environment.parse(source).render(["user": ["name": "Ada"]]) == expected)
    }

    @Test func aTagsOutputIsEscapedWhenTheRenderEscapes() throws {
        let output = try Self.environment.parse("{% greet user.name %}").render(["user": ["name": "<b>"]], options: RenderOptions(autoescape: true))
        #expect(output == "Hello, &lt;b&gt;")
    }

    @Test func errorsAreLocatedAtTheTag() throws {
        let failing = CustomTag("fail") { _, _, _ in throw LiquidError(.argument, "no") }
        let environment = Environment(extraTags: [failing])
        let error = try #require(throws: LiquidError.self) { try environment.parse("ok\n  {% fail %}").render() }
        #expect(error.line == 2)
        #expect(error.column == 3)
        #expect(throws: LiquidError.self) { try Self.environment.parse("{% box %}never closed").render() }
        #expect(throws: LiquidError.self) { try Self.environment.parse("{% greet a b %}").render() }
    }

    @Test func analysisSeesTheTagsArguments() throws {
        let analysis = try Self.environment.parse("{% box user.name %}{% greet user.title %}{% endbox %}").analysis
        #expect(analysis.tags.contains("box") && analysis.tags.contains("greet"))
        #expect(analysis.variables == ["user.name", "user.title"])
    }

    @Test func aFilterWithAWriterWritesWhereItEndsAnOutputTag() throws {
        // The same text both ways; which way ran is recorded.
        let ran = Mutex<[String]>([])
        var filters = FilterTable()
        filters.set("wrap", { input, _, _ in
            ran.withLock { $0.append("value") }
            return .string("[" + input.description + "]")
        }, writer: { input, arguments, _, out in
            ran.withLock { $0.append("written") }
            out.append("[")
            out.append(input.description)
            if arguments.keyword("fail") != nil { throw LiquidError(.argument, "wrap failed") }
            out.append("]")
        })
        let html = Environment(extraFilters: filters, htmlFilters: ["wrap"])
        let source = "{{ 'a' | wrap }}{{ 'b' | wrap | upcase }}{% assign c = 'c' | wrap %}{{ c }}{{ 'd' | upcase | wrap }}"
        #expect(try html.parse(source).render() == "[a][B][c][D]")
        #expect(ran.withLock { $0 } == ["written", "value", "value", "written"])
        // Escaping, an HTML filter's writer is printed as it writes; a filter that does not give HTML is escaped, so
        // it gives its value to be escaped.
        ran.withLock { $0.removeAll() }
        #expect(try html.parse("{{ '<' | wrap }}").render(options: RenderOptions(autoescape: true)) == "[<]")
        #expect(try Environment(extraFilters: filters).parse("{{ '<' | wrap }}").render(options: RenderOptions(autoescape: true)) == "[&lt;]")
        #expect(ran.withLock { $0 } == ["written", "value"])
        // A writer's error is located at its call, as a filter's is; what it writes is held to a filter's string limit.
        let error = try #require(throws: LiquidError.self) { try html.parse("x\n  {{ 'a' | wrap: fail: true }}").render() }
        #expect(error.line == 2 && error.column == 12 && error.description.contains("wrap failed"))
        var limits = ResourceLimits()
        limits.maxStringBytes = 4
        #expect(try html.parse("{{ 'ab' | wrap }}").render(options: RenderOptions(limits: limits)) == "[ab]")
        let long = try #require(throws: LiquidError.self) { try html.parse("{{ 'abc' | wrap }}").render(options: RenderOptions(limits: limits)) }
        #expect(long.kind == .resourceLimit)
    }
}
