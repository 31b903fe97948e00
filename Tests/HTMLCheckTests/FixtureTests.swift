import Foundation
import Testing
@testable import HTMLCheck

/// One HTML fixture: `valid/<channel>/*.html` must pass; `invalid/<channel>/*.html` starts with
/// `<!-- expect: code line:column -->` naming the diagnostic it must produce.
struct Fixture: Sendable, CustomTestStringConvertible {
    let path: String
    let channel: HTMLChannel
    let html: String
    let expected: (code: String, line: Int, column: Int)?

    var testDescription: String { path }

    static func load(_ kind: String) -> [Fixture] {
        let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(kind)
        var fixtures: [Fixture] = []
        for channel in HTMLChannel.allCases {
            let folder = root.appendingPathComponent(channel.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".html") {
                let html = try! String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                var expected: (String, Int, Int)?
                if let header = html.split(separator: "\n").first, header.hasPrefix("<!-- expect: ") {
                    let parts = header.dropFirst(13).split(separator: " ")
                    let position = parts[1].split(separator: ":").map { Int($0)! }
                    expected = (String(parts[0]), position[0], position[1])
                }
                fixtures.append(Fixture(path: "\(kind)/\(channel.rawValue)/\(name)", channel: channel, html: html, expected: expected))
            }
        }
        return fixtures
    }
}

@Suite struct FixtureTests {
    @Test(arguments: Fixture.load("valid"))
    func validHTMLPasses(_ fixture: Fixture) {
        let report = HTMLValidator.validate(fixture.html, channel: fixture.channel)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map(\.description))")
    }

    @Test(arguments: Fixture.load("invalid"))
    func invalidHTMLIsPointedAt(_ fixture: Fixture) throws {
        let expected = try #require(fixture.expected)
        let report = HTMLValidator.validate(fixture.html, channel: fixture.channel)
        #expect(!report.isValid)
        let hit = report.diagnostics.first { $0.code == expected.code }
        #expect(hit?.line == expected.line, "\(report.diagnostics.map(\.description))")
        #expect(hit?.column == expected.column, "\(report.diagnostics.map(\.description))")
        #expect(hit?.sourceLine == fixture.html.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[expected.line - 1])
    }

    @Test func fixturesExist() {
        #expect(Fixture.load("valid").count >= 2)
        #expect(Fixture.load("invalid").count >= 17)
    }
}
