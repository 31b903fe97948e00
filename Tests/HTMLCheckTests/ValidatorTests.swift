import Foundation
import Testing
@testable import HTMLCheck

@Suite struct ValidatorTests {
    @Test(arguments: HTMLChannel.allCases)
    func emptyInputIsAnError(_ channel: HTMLChannel) {
        let report = HTMLValidator.validate(" \n ", channel: channel)
        #expect(report.errors.map(\.code) == ["empty"])
    }

    @Test func invalidUTF8IsPointedAt() {
        let bytes = Array("<p>ok</p>\n<p>caf".utf8) + [0xC3, 0x28] + Array(" au lait</p>".utf8)
        let report = HTMLValidator.validate(bytes: bytes, channel: .web)
        let first = report.diagnostics.first
        #expect(first?.code == "invalid-utf8")
        #expect(first?.line == 2)
        #expect(first?.column == 7)
    }

    @Test func emailPastGmailsLimitIsWarned() {
        let body = String(repeating: "<p>Lorem ipsum dolor sit amet.</p>\n", count: 3_200)
        let report = HTMLValidator.validate("<!DOCTYPE html><html><body>\(body)</body></html>", channel: .email)
        #expect(report.isValid)
        #expect(report.warnings.map(\.code) == ["email-clipped"])
    }

    @Test func fiveMegabytesAreCheckedInReasonableTime() {
        let row = "<tr><td class=\"c\">Item &amp; more</td><td><a href=\"https://x.example/p\">buy</a></td></tr>\n"
        let html = "<table>" + String(repeating: row, count: 5_000_000 / row.utf8.count) + "</table>"
        let start = ContinuousClock.now
        let report = HTMLValidator.validate(html, channel: .web)
        #expect(report.isValid, "\(report.diagnostics.prefix(3).map(\.description))")
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    /// libxml2's error handler is per thread: concurrent checks must each get exactly their own diagnostics.
    @Test func concurrentChecksKeepTheirOwnDiagnostics() async {
        let inputs = (0..<200).map { i -> (String, String?) in
            i % 2 == 0 ? ("<div><p>fine \(i)</p></div>", nil) : ("<div>\n<x\(i)y>bad</x\(i)y></div>", "x\(i)y")
        }
        let reports = await withTaskGroup(of: (Int, HTMLReport).self) { group in
            for (i, input) in inputs.enumerated() {
                group.addTask { (i, HTMLValidator.validate(input.0, channel: .web)) }
            }
            var all: [(Int, HTMLReport)] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(reports.count == inputs.count)
        for (i, report) in reports {
            if let bad = inputs[i].1 {
                #expect(report.diagnostics.map(\.message) == ["Unknown element <\(bad)>"])
                #expect(report.diagnostics.first?.line == 2)
            } else {
                #expect(report.diagnostics.isEmpty)
            }
        }
    }
}

@Suite struct RuleTests {
    @Test func scriptIsAllowedOnlyWhenAsked() {
        let html = "<div><script>track()</script></div>"
        #expect(HTMLValidator.validate(html, channel: .web).errors.map(\.code) == ["script"])
        #expect(HTMLValidator.validate(html, channel: .web, allowsScript: true).isValid)
    }

    @Test func ampersandInTextIsAWarningInAttributesAnError() {
        let report = HTMLValidator.validate(#"<a href="/a?x=1&y=2">R&D</a>"#, channel: .web)
        #expect(report.errors.map(\.code) == ["unescaped-ampersand"])
        #expect(report.warnings.map(\.code) == ["unescaped-ampersand-in-text"])
    }

    @Test(arguments: [
        ("<ul><li>a<li>b</ul>", true),
        ("<table><tr><td>a<td>b</table>", true),
        ("<dl><dt>a<dd>b</dl>", true),
        ("<p>a<p>b", true),
        ("<select><option>a<option>b</select>", true),
        ("<li>a</li>", false),
        ("<span><div>x</div>", false),
        ("<a href=\"/\"><a href=\"/b\">x</a></a>", false),
    ])
    func optionalEndTagsAreHTML5(html: String, valid: Bool) {
        let report = HTMLValidator.validate(html, channel: .web)
        #expect(report.isValid == valid, "\(report.diagnostics.map(\.description))")
    }
}

@Suite struct RobustnessTests {
    /// Byte soup built from HTML's own pieces (deterministic) ends in a report, never a crash or a hang.
    @Test func tagSoupAlwaysGetsAReport() {
        let pieces = ["<", ">", "</", "/>", "<div", "<p", "</p>", "<!--", "-->", "<!DOCTYPE html>", "=", "\"", "'", "&",
                      "&amp;", "&#", " ", "\n", "a", "<script>", "</script", "<svg>", "<li>", "<td>", "<table>", "\u{00e9}",
                      "<img src=x", " onclick=", "javascript:", "<html>", "<body>", "</div>"]
        var state: UInt64 = 0x9E3779B97F4A7C15
        for round in 0..<300 {
            var html = ""
            for _ in 0..<(round % 60 + 1) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                html += pieces[Int(state >> 33) % pieces.count]
            }
            for channel in HTMLChannel.allCases {
                let report = HTMLValidator.validate(html, channel: channel)
                for d in report.diagnostics {
                    #expect(d.line >= 1 && d.column >= 1 && !d.code.isEmpty)
                }
            }
        }
    }
}
