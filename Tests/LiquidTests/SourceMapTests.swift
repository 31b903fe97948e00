import Testing
@testable import Liquid

/// A mapped render says which template line wrote each part of the output: through text, outputs, loops,
/// partials and layouts, with the front matter's lines counted.
@Suite struct SourceMapTests {
    static func mapped(_ source: String, _ data: Value = [:], partials: [String: String] = [:], name: String = "page",
                       firstLine: Int = 1) throws -> (String, SourceMap)
    {
        let template = try Environment(loader: DictionaryLoader(partials)).parse(source, name: name, firstLine: firstLine)
        let (output, map) = try template.renderMapped(data)
        #expect(output == (try template.render(data)), "a mapped render writes what a plain one does")
        return (output, map)
    }

    /// The origin of the first occurrence of `needle` in the output.
    static func origin(of needle: String, in output: String, _ map: SourceMap, occurrence: Int = 1) -> String? {
        var from = output.startIndex
        var found: Range<String.Index>?
        for _ in 0..<occurrence {
            found = output.range(of: needle, range: from..<output.endIndex)
            guard let f = found else { return nil }
            from = f.upperBound
        }
        guard let found else { return nil }
        return map.origin(ofByte: output.utf8.distance(from: output.startIndex, to: found.lowerBound))?.description
    }

    @Test func textAndOutputsMapToTheirPlaceWithTheFrontMatterCounted() throws {
        let (out, map) = try Self.mapped("<p>\n  {{ name }} <b>x</b></p>", ["name": "Ada"], firstLine: 7)
        #expect(Self.origin(of: "Ada", in: out, map) == "page:8:3")
        #expect(Self.origin(of: "<b>", in: out, map) == "page:8:14")
        #expect(map.origin(line: 2, column: 7)?.description == "page:8:14")  // the output's line 2, the "<b" of it
    }

    @Test func eachLoopTurnMapsToTheBody() throws {
        let (out, map) = try Self.mapped("<ul>\n{% for i in (1..3) %}  <li>{{ i }}</li>\n{% endfor %}</ul>")
        #expect(Self.origin(of: "<li>", in: out, map, occurrence: 3) == "page:2:24")
        #expect(Self.origin(of: "3", in: out, map) == "page:2:28")
    }

    @Test func partialsAndLayoutsNameTheirOwnFile() throws {
        let partials = [
            "card": "<div>\n  <b>{{ name }}</b>\n</div>",
            "layouts/base": "<html><body>\n{% block content %}{% endblock %}\n<footer>f</footer></body></html>",
        ]
        let (out, map) = try Self.mapped("{% extends 'layouts/base' %}\n{% block content %}\n<main>{% render 'card', name: 'Z' %}</main>{% endblock %}",
                                         partials: partials)
        #expect(Self.origin(of: "<b>", in: out, map) == "card:2:3")
        #expect(Self.origin(of: "<main>", in: out, map) == "page:3:1")
        #expect(Self.origin(of: "<footer>", in: out, map) == "layouts/base:3:1")
    }

    @Test func capturedOutputMapsToWhereItIsPrinted() throws {
        let (out, map) = try Self.mapped("{% capture c %}<x>{% endcapture %}\n{{ c }}")
        #expect(Self.origin(of: "<x>", in: out, map) == "page:2:1")
    }

    @Test func aPlainRenderIsUnchanged() throws {
        let template = try Environment().parse("{% for i in (1..2) %}{% if i > 1 %}{{ i }}{% endif %}{% endfor %}")
        #expect(try template.render() == "2")
    }
}
