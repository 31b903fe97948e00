import Diagnostics
import Liquid
import Testing

/// The one problem type: how it reads, how a problem found in output moves to its template line, and a Liquid
/// error made one.
@Suite struct DiagnosticTests {
    @Test func readsAsFileLineColumnSeverityMessageAndCode() {
        let d = Diagnostic(.warning, .content, code: "never-wins", "campaign \"b\" can never win hero", file: "banners/b.liquid",
                           line: 3, column: 1)
        #expect(d.description == "banners/b.liquid:3:1: warning: campaign \"b\" can never win hero [never-wins]")
        let noCode = Diagnostic(.error, .content, "unknown key", file: "a.liquid", line: 5, column: 1)
        #expect(noCode.description == "a.liquid:5:1: error: unknown key")
    }

    @Test func aProblemInOutputIsPlacedAtItsTemplateLineWithTheOutputPlaceKept() {
        let found = Diagnostic(.error, .html, code: "block-in-paragraph", "<div> cannot be inside <p>",
                               at: SourceLocation(file: nil, line: 4, column: 6), sourceLine: "  <p><div>x</div></p>")
        #expect(found.description == "4:6: error: <div> cannot be inside <p> [block-in-paragraph]")
        let placed = found.placed(at: SourceLocation(file: "partials/box.liquid", line: 3, column: 6))
        #expect(placed.description == "partials/box.liquid:3:6: error: <div> cannot be inside <p> [block-in-paragraph] (output 4:6)")
        #expect(placed.output == SourceLocation(file: nil, line: 4, column: 6))
        // Placed again (a second map), the output's place is the first one still.
        #expect(placed.placed(at: SourceLocation(file: "x.liquid", line: 1, column: 1)).output == placed.output)
    }

    @Test func sortedByFileThenLineThenColumnWithTheOutputFirst() {
        let list = [
            Diagnostic(.error, .content, "c", file: "b.liquid", line: 2, column: 1),
            Diagnostic(.error, .content, "b", file: "a.liquid", line: 10, column: 1),
            Diagnostic(.error, .html, "a", file: nil, line: 1, column: 1),
            Diagnostic(.warning, .content, "d", file: "a.liquid", line: 2, column: 7),
        ]
        #expect(list.sortedByPlace().map(\.message) == ["a", "d", "b", "c"])
        #expect(list.errors.count == 3 && list.warnings.map(\.message) == ["d"] && list.hasErrors)
    }

    @Test func aLiquidErrorInAPartialIsADiagnosticThere() throws {
        let environment = Environment(loader: DictionaryLoader(["partials/box": "<div>\n  {% if x %}\n</div>"]))
        let error = try #require(throws: LiquidError.self) {
            _ = try environment.parse("---\nignored\n---\n{% render 'partials/box' %}", name: "banners/a", firstLine: 4).render([:])
        }
        let d = error.diagnostic(file: error.templateName.map { $0 + ".liquid" })
        #expect(d.kind == .liquid && d.code == "syntax" && d.severity == .error)
        #expect(d.location == SourceLocation(file: "partials/box.liquid", line: 2, column: 3), "\(d)")
        #expect(d.sourceLine == "  {% if x %}")
        #expect(d.message.hasPrefix("Liquid syntax error: "))
    }
}
