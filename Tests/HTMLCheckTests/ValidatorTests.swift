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

/// A URL is judged as a browser reads it: references decoded, tabs, line breaks and leading controls dropped.
@Suite struct URLRuleTests {
    @Test(arguments: [
        (#"<a href="&#106;avascript:alert(1)">x</a>"#, ["javascript-url"]),
        (#"<a href="&#x6A;avascript:alert(1)">x</a>"#, ["javascript-url"]),
        // libxml2 adds that the reference lacks its semicolon.
        (#"<a href="&#106avascript:alert(1)">x</a>"#, ["javascript-url", "parse-error"]),
        (#"<a href="java&Tab;script:alert(1)">x</a>"#, ["javascript-url"]),
        (#"<a href="&#0000000106;avascript:alert(1)">x</a>"#, ["javascript-url"]),
        (#"<a href="java&#x09;script&colon;alert(1)">x</a>"#, ["javascript-url"]),
        ("<a href=\" \u{1}JaVaScRiPt:alert(1)\">x</a>", ["javascript-url"]),
        (#"<a href="vbscript:msgbox">x</a>"#, ["javascript-url"]),
        (#"<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>"#, ["srcdoc-attribute"]),
        (#"<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>"#, ["data-url"]),
        (#"<iframe src="data:text/html,x"></iframe>"#, ["data-url"]),
        (#"<object data="data:text/html,x"></object>"#, ["data-url"]),
        (#"<form action="/a"><button formaction="https://evil.example">x</button></form>"#, ["formaction-attribute"]),
        (#"<img src="data:image/png;base64,iVBORw0KGgo=" alt="">"#, []),
        (#"<a href="https://example.com/a?b=1&amp;c=javascript:x">x</a>"#, []),
        (#"<a href="/path:with:colons">x</a>"#, []),
        (#"<a href="mailto:ada@example.com">x</a>"#, []),
    ])
    func urlsAreJudgedAsBrowsersReadThem(_ html: String, _ codes: [String]) {
        #expect(HTMLValidator.validate(html, channel: .web).errors.map(\.code) == codes)
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
                    #expect(d.line >= 1 && d.column >= 1 && d.code?.isEmpty == false && d.kind == .html)
                }
            }
        }
    }
}

/// Output that repeats a mistake many times, or is built to make a checker work per pair of tags, gets a report of
/// bounded size: the first few problems of each kind in full, then one line with the count of the rest.
@Suite struct AbusiveOutputTests {
    static func codes(_ report: HTMLReport) -> [String: Int] {
        report.diagnostics.reduce(into: [:]) { $0[$1.code ?? "", default: 0] += 1 }
    }

    @Test func repeatedDuplicateIdsAreListedTenTimesAndCounted() {
        let html = String(repeating: "<p id=\"x\">a</p>", count: 100_000)
        let report = HTMLValidator.validate(html, channel: .web)
        let duplicates = report.diagnostics.filter { $0.code == "duplicate-id" }
        #expect(duplicates.count == ProblemTally.shownPerCode + 1)
        #expect(duplicates.last?.message == "99989 more like this are not listed")
        #expect(duplicates.first?.column == 19)
        // One line of 1.5 MB: each diagnostic quotes the part of it around the problem.
        #expect(report.diagnostics.allSatisfy { $0.sourceLine.utf8.count < 2 * SourceLines.quotedContext + 8 })
        #expect(duplicates.first?.sourceLine.hasPrefix("<p id=\"x\">a</p><p id=\"x\">") == true)
        #expect(duplicates.first?.sourceLine.hasSuffix("…") == true)
    }

    @Test func imagesWithoutAltOnManyLinesAreCounted() {
        let html = String(repeating: "<img src=\"https://x.example/a.png\">\n", count: 20_000)
        let report = HTMLValidator.validate(html, channel: .web)
        #expect(Self.codes(report) == ["img-missing-alt": ProblemTally.shownPerCode + 1])
        #expect(report.diagnostics.last?.message == "19990 more like this are not listed")
        #expect(report.diagnostics.map(\.line).prefix(10) == ArraySlice(1...10))
    }

    @Test func deepNestingIsRefusedOnceWithoutLibxml2() {
        let html = String(repeating: "<div>", count: 200_000) + "x"
        let report = HTMLValidator.validate(html, channel: .web)
        let codes = Self.codes(report)
        #expect(codes["too-deep"] == 1)
        #expect(codes["unclosed-element"] == ProblemTally.shownPerCode + 1)
        #expect(report.diagnostics.first { $0.code == "too-deep" }?.column == 5 * StructureCheck.maxDepth + 1)
    }

    @Test func deepNestingWithStrayEndTagsStaysBounded() {
        let html = String(repeating: "<span>", count: 50_000) + String(repeating: "</b>", count: 50_000)
        let codes = Self.codes(HTMLValidator.validate(html, channel: .web))
        #expect(codes["unexpected-end-tag"] == ProblemTally.shownPerCode + 1)
        #expect(codes["too-deep"] == 1)
    }

    @Test func aParagraphHeldOpenUnderATableIsNotSearchedForPerTag() {
        // <p> stays open below the button, so every <div> asks whether it closes it: the button stops the search.
        let html = "<p><button>" + String(repeating: "<span>", count: 400) + String(repeating: "<div>x</div>", count: 100_000)
            + String(repeating: "</span>", count: 400) + "</button></p>"
        let report = HTMLValidator.validate(html, channel: .web)
        #expect(!report.diagnostics.contains { $0.code == "block-in-paragraph" })
    }

    @Test func tooManyAttributesAreRefusedWithoutLibxml2() {
        let attributes = (0..<50_000).map { " data-a\($0)=\"1\"" }.joined()
        let report = HTMLValidator.validate("<div\(attributes)>x</div>", channel: .web)
        #expect(report.errors.map(\.code) == ["too-many-attributes"])
        #expect(report.errors.first?.message == "<div> has 50000 attributes; at most \(StructureCheck.maxAttributes) are checked")
    }

    @Test func libxml2sOwnMessagesAreCappedToo() {
        let html = String(repeating: "<dvi>a</dvi> R&D <a href=\"/a?x=1&y=2\">b</a>\n", count: 30_000)
        let report = HTMLValidator.validate(html, channel: .web)
        let codes = Self.codes(report)
        for code in ["unknown-element", "unescaped-ampersand", "unescaped-ampersand-in-text"] {
            #expect(codes[code] == ProblemTally.shownPerCode + 1, "\(code)")
        }
        #expect(report.diagnostics.first { $0.code == "unescaped-ampersand-in-text" }?.severity == .warning)
        #expect(report.diagnostics.last { $0.code == "unescaped-ampersand-in-text" }?.severity == .warning)
    }

    /// libxml2 counts columns in characters: text before a problem that is not ASCII does not move it.
    @Test func columnsAfterNonASCIITextAreCharacters() {
        let report = HTMLValidator.validate("<p>日本 é</p><dvi>x</dvi> R&D", channel: .web)
        #expect(report.diagnostics.map { "\($0.code ?? "")@\($0.column)" } == ["unknown-element@12", "unescaped-ampersand-in-text@26"])
    }

    /// A problem deep in a long line is placed by characters, not bytes, and quoted around where it is.
    @Test func columnsInALongLineCountCharacters() {
        let html = String(repeating: "<b>é</b>", count: 3_000) + "<dvi>x</dvi>"
        let report = HTMLValidator.validate(html, channel: .web)
        let unknown = report.diagnostics.first { $0.code == "unknown-element" }
        #expect(unknown?.column == 3_000 * 8 + 1)
        #expect(unknown?.sourceLine.hasSuffix("<dvi>x</dvi>") == true)
        #expect(unknown?.sourceLine.hasPrefix("…") == true)
    }
}
