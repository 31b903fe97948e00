import Testing
import Liquid

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
}
