import Testing
@testable import Liquid

@Suite struct ConcurrencyTests {
    /// One parsed template, rendered from many tasks at once (partials loaded on first use from several
    /// of them), gives every task the same output as a single-threaded render.
    @Test func rendersInParallelFromOneTemplate() async throws {
        let partials = ["card": "<li>{{ p.name | upcase }} {% cycle 'a', 'b' %}</li>",
                        "list": "{% for p in items %}{% render 'card', p: p %}{% endfor %}"]
        let environment = Environment(loader: DictionaryLoader(partials))
        let template = try environment.parse("{% assign n = items | size %}<ul>{% render 'list', items: items %}</ul>{{ n }}")
        let data: [Value] = (0..<64).map { i in
            ["items": .array((0..<(i % 7)).map { ["name": .string("item \($0) of \(i)")] })]
        }
        let expected = try data.map { try template.render($0) }
        let outputs = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for round in 0..<8 {
                for (i, d) in data.enumerated() {
                    group.addTask { (i, try template.render(d, options: RenderOptions(strictVariables: round % 2 == 0))) }
                }
            }
            var results: [(Int, String)] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(outputs.count == 8 * data.count)
        for (i, output) in outputs { #expect(output == expected[i]) }
    }
}

@Suite struct StackDepthTests {
    /// The deepest nesting the limits allow (blocks nested as deep as the parser accepts, in partials nested
    /// as deep as the render depth allows) renders on a task's small stack without overflowing it.
    @Test func deepestAllowedNestingFitsOnATaskStack() async throws {
        let depth = 98
        let nested = String(repeating: "{% if true %}", count: depth) + "{% render 'p' %}" + String(repeating: "{% endif %}", count: depth)
        let environment = Environment(loader: DictionaryLoader(["p": nested]))
        let template = try environment.parse("{% render 'p' %}")
        let result = await Task.detached { () -> LiquidError? in
            do throws(LiquidError) {
                _ = try template.render()
                return nil
            } catch {
                return error
            }
        }.value
        #expect(result?.kind == .resourceLimit)
    }
}
