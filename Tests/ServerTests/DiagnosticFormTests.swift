import Content
import Diagnostics
import Foundation
import Hummingbird
import HummingbirdTesting
import Liquid
import Testing

/// A problem is one type from the parser to the API: the same problem reads the same in a preview, in a failed
/// render's problem document and in a refused reload, at the template line behind it.
@Suite("One problem form across the API")
struct DiagnosticFormTests {
    static let files = Fixture.files.merging([
        "partials/box.liquid": "<div>\n  <p><div>x</div></p>\n</div>\n",
        "banners/boxed.liquid": "---\ncampaign: boxed\nchannel: banner\nplacement: side\n---\n<section>{% render 'partials/box' %}</section>\n",
        "banners/typo.liquid": "---\ncampaign: typo\nchannel: banner\nplacement: side\n---\n<p>{% render 'partials/greet' %}</p>\n",
        "partials/greet.liquid": "Hi\n{{ greeting }}\n",
    ]) { $1 }

    static let profile = #"{"profile": {"id": "p1", "traits": {"name": "Ada"}}}"#

    /// Every member but the message, which a reload prefixes with the sample profile it rendered for.
    static func place(_ d: LiquidObject?) -> [String] {
        ["source", "file", "line", "column", "severity", "code", "output_line", "output_column"].map { key in
            d?[key].map(JSON.serialize) ?? "-"
        }
    }

    @Test("an HTML problem in a partial: the preview, the render's problem and the refused reload say the same")
    func htmlProblemInAPartial() async throws {
        let h = try Harness(files: Self.files)
        let expected = [#""html""#, #""partials/box.liquid""#, "2", "6", #""error""#, #""block-in-paragraph""#, "2", "6"]
        try await h.test { client in
            let preview = #"{"template": "banners/boxed", "profile": {"id": "p1", "traits": {}}}"#
            var previewed: LiquidObject?
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(preview)) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "false")
                previewed = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(Self.place(previewed) == expected)
            }
            try await client.execute(uri: "/v1/messages/banners/boxed/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(Self.profile)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "render_failed")
                let first = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                // The whole diagnostic, message too, is the preview's.
                #expect(first.map { JSON.serialize(.object($0)) } == previewed.map { JSON.serialize(.object($0)) })
                #expect([r.json["file"], r.json["line"], r.json["column"]].map { $0.map(JSON.serialize) ?? "-" }
                    == [#""partials/box.liquid""#, "2", "6"])
            }
        }
        // With a sample profile to render it for, a reload refuses it, at the same place.
        try FileManager.default.createDirectory(atPath: h.folder + "/profiles", withIntermediateDirectories: true)
        try #"{"id": "s1", "traits": {}}"#.write(toFile: h.folder + "/profiles/sam.json", atomically: true, encoding: .utf8)
        #expect(h.server.content.reload() == false)
        try await h.test { client in
            try await client.execute(uri: "/v1/content/status", method: .get) { r in
                let errors = r.json["errors"]?.arrayValue?.compactMap(\.objectValue) ?? []
                let boxed = errors.first { $0["file"]?.stringValue == "partials/box.liquid" }
                #expect(Self.place(boxed) == expected, "\(errors)")
                #expect(boxed?["message"]?.stringValue?.hasPrefix("for the sample profile sam: ") == true)
            }
        }
    }

    @Test("a Liquid error in a partial: at its line in the partial, with its kind as the code, in the preview and the render")
    func liquidErrorInAPartial() async throws {
        let h = try Harness(files: Self.files)
        try await h.test { client in
            let preview = #"{"template": "banners/typo", "profile": {"id": "p1", "traits": {"name": "Ada"}}}"#
            var previewed: LiquidObject?
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(preview)) { r in
                // Lenient, the render works; the strict render after it finds the variable the partial was not given
                // (`render` passes none), a warning.
                previewed = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(Self.place(previewed) == [#""liquid""#, #""partials/greet.liquid""#, "2", "4", #""warning""#,
                                                  #""undefined_variable""#, "-", "-"])
            }
            try await client.execute(uri: "/v1/messages/banners/typo/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"strict": true, "profile": {"id": "p1", "traits": {"name": "Ada"}}}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let first = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(Self.place(first) == [#""liquid""#, #""partials/greet.liquid""#, "2", "4", #""error""#,
                                              #""undefined_variable""#, "-", "-"])
                #expect(first?["message"]?.stringValue == previewed?["message"]?.stringValue)
            }
        }
    }
}
