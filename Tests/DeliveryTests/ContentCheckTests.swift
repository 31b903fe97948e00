import Diagnostics
import Foundation
import Testing
@testable import Delivery
import Personalization

/// This test process's scratch folder, removed when the process exits: test files go in it, not loose in /tmp.
let scratchFolder: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-tests-\(getpid())")
    atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-tests-\(getpid())")) }
    return url
}()

/// Writes files into a new folder and returns its path.
func contentFolder(_ files: [String: String]) throws -> String {
    let root = scratchFolder.appendingPathComponent("check-\(UUID().uuidString)")
    for (path, text) in files {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return root.path
}

let checkedAt = Date(timeIntervalSince1970: 1_795_428_000)  // 2026-11-23T10:00:00Z

@Suite("stagecraft check")
struct ContentCheckTests {
    static let base: [String: String] = [
        "stages.yml": "rules:\n  - stage: revenue\n    when: { user.plan: trial }\nfallback: activation\n",
        "globals.yml": "brand: { name: Northwind }\n",
        "recommendations.yml": "popular:\n  strategy: popular\n  limit: 2\n",
        "catalog.csv": "id,title,category,price,stock,popularity\na,Alpha,x,1,1,5\nb,Beta,x,2,1,3\n",
        "profiles/ada.json": #"{"id": "u1", "traits": {"first_name": "Ada", "plan": "trial"}}"#,
        "profiles/bo.json": #"{"id": "u2", "traits": {"first_name": "Bo"}}"#,
        "banners/default.liquid": "---\ncampaign: d\nchannel: banner\nplacement: hero\ndefault: true\n---\n<p>Hi</p>\n",
    ]

    func run(_ extra: [String: String]) throws -> ContentCheck {
        ContentCheck.run(directory: try contentFolder(Self.base.merging(extra) { $1 }), now: checkedAt)
    }

    @Test("a survey's broken front matter is an error at its file and line: choices, labels, Liquid in its texts",
          arguments: [
              ("choices: [{ value: a }, b]", "choices: a list of at least two different texts, or of { value, label }"),
              ("choices: [{ value: a, label: A, extra: x }, b]", "choices: a list of at least two different texts, or of { value, label }"),
              ("choices: [a, { value: a, label: A }]", "choices: a list of at least two different texts, or of { value, label }"),
              ("choices: [{ value: a, label: \"{{ oops\" }, b]", "choice \"a\" label"),
              ("scale: nps\nlabels: { low: \"{% if %}\" }", "labels.low"),
          ])
    func brokenSurveys(_ frontMatter: String, _ message: String) throws {
        let check = try run(["surveys/s.liquid": "---\ncampaign: s\nchannel: survey\nplacement: p\nquestion: Q?\n\(frontMatter)\n---\n<form>{{ survey.question }}</form>\n"])
        let found = check.findings.filter { $0.severity == .error && $0.message.contains(message) }
        #expect(found.count == 1, "\(check.findings.map(\.message))")
        #expect(found.first?.file == "surveys/s.liquid" && found.first?.location.line == 2)
    }

    @Test func aCleanFolderPassesAndEveryMessageIsRenderedForEveryProfileAndStage() throws {
        let check = try run([:])
        #expect(check.findings.isEmpty)
        #expect(check.renders == 1 * 2 * 2)
    }

    @Test func aStrictMissIsAnErrorAtItsLineButAMissingProfileFieldIsAWarning() throws {
        let check = try run([
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n<p>{{ user.first_name }}</p>\n<p>{{ brand.nmae }}</p>\n<p>{{ user.nickname }}</p>\n",
        ])
        let errors = check.findings.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.file == "banners/a.liquid")
        #expect(errors.first?.line == 7)
        #expect(errors.first?.message.contains("brand.nmae") == true)
        // Reported once, for the first render, with how many more met it.
        #expect(errors.first?.message.contains("and 3 more renders") == true)
        let warning = check.findings.first { $0.message.contains("user.nickname") }
        #expect(warning?.severity == .warning)
        #expect(warning?.line == 8)
        #expect(check.messages.first { $0.campaign == "a" }?.profileFields == ["user.first_name", "user.nickname"])
    }

    @Test func missingPartialsAndRulesAreNamedWithSuggestions() throws {
        let check = try run([
            "partials/card.liquid": "<b>card</b>",
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n<div>{% render 'partials/crad' %}</div>\n{% for i in recommendations.populr %}{{ i.title }}{% endfor %}\n",
        ])
        let messages = check.findings.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains { $0.contains("no partial or layout \"partials/crad\"") && $0.contains("partials/card") })
        #expect(messages.contains { $0.contains("no recommendation rule \"populr\"") && $0.contains("\"popular\"") })
        #expect(check.findings.contains { $0.line == 6 && $0.column == 16 })
    }

    @Test func whatAPageThatExtendsALayoutWouldDropIsReported() throws {
        let check = try run([
            "layouts/page.liquid": "<div>{% block head %}{% endblock %}{% block body %}default{% endblock %}</div>",
            "layouts/wide.liquid": "{% extends 'layouts/page' %}{% block body %}<section>{% block aside %}{% endblock %}</section>{% endblock %}",
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n{% extends 'layouts/wide' %}\n"
                + "{% comment %}notes{% endcomment %}\n{% block head %}<b>Hi</b>{% endblock %}\n"
                + "  Hello {{ user.first_name }}\n{% block aside %}x{% endblock %}\n{% block bdoy %}y{% endblock %}\n{% assign n = 1 %}\n",
        ])
        let mine = check.findings.filter { $0.file == "banners/a.liquid" }.map { "\($0.line):\($0.column) \($0.severity.rawValue): \($0.message)" }
        #expect(mine == [
            "9:3 warning: Text outside any block is never shown: a template that extends \"layouts/wide\" renders its blocks only",
            "9:9 warning: Output outside any block is never shown: a template that extends \"layouts/wide\" renders its blocks only",
            "11:1 error: block \"bdoy\" is not in the layout \"layouts/wide\", so it is never shown; did you mean \"body\"?",
            "12:1 warning: {% assign %} outside any block is never shown: a template that extends \"layouts/wide\" renders its blocks only",
        ])
    }

    @Test func aBlockInsideAPageBlockNeedsNoPlaceInTheLayout() throws {
        let check = try run([
            "layouts/page.liquid": "<div>{% block body %}default{% endblock %}</div>",
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n{% extends 'layouts/page' %}\n"
                + "{% block body %}<p>{% block greeting %}Hi{% endblock %}</p>{% endblock %}\n",
        ])
        #expect(check.findings.filter { $0.file == "banners/a.liquid" }.isEmpty)
    }

    @Test func brokenHTMLForSomeProfileIsAnError() throws {
        let check = try run([
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n{% if user.plan == 'trial' %}<div>{% endif %}<p>x</p>\n",
        ])
        let error = check.findings.first { $0.severity == .error }
        #expect(error?.message.contains("for profile ada") == true)
        #expect(error?.kind == .html)
    }

    @Test func shadowedCampaignsAndPlacementsWithoutADefault() throws {
        let check = try run([
            "banners/big.liquid": "---\ncampaign: big\nchannel: banner\nplacement: hero\npriority: 10\n---\n<p>big</p>\n",
            "banners/small.liquid": "---\ncampaign: small\nchannel: banner\nplacement: hero\npriority: 5\nstages: [revenue]\n---\n<p>small</p>\n",
            "banners/timed.liquid": "---\ncampaign: timed\nchannel: banner\nplacement: side\npriority: 9\nwindow: { from: \"09:00\", to: \"17:00\" }\n---\n<p>t</p>\n",
            "banners/after.liquid": "---\ncampaign: after\nchannel: banner\nplacement: side\npriority: 1\n---\n<p>a</p>\n",
        ])
        let warnings = check.findings.filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.contains { $0.contains("\"small\" can never win hero") && $0.contains("\"big\"") })
        // A campaign limited to hours leaves the rest of the day to the one below it.
        #expect(!warnings.contains { $0.contains("\"after\" can never win") })
        #expect(warnings.contains { $0.contains("placement \"side\" has no default") })
        #expect(check.errorCount == 0)
    }

    @Test func aGoalOnAnEventNoSampleProfileHasNorStageRuleCountsIsAWarningAtItsLine() throws {
        let check = try run([
            "profiles/cy.json": #"{"id": "u3", "traits": {}, "events": [{"name": "purchase", "time": "2026-11-01T10:00:00Z"}]}"#,
            "stages.yml": "rules:\n  - stage: revenue\n    when: { facts.event_counts.report_viewed.7d: { $gte: 1 } }\nfallback: activation\n",
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\nvariants: [x, y]\ngoals:\n"
                + "  primary: { event: purchse }\n  secondary: [purchase, report_viewed, { event: invite_sent, within: 3d }]\n---\n<p>x</p>\n",
        ])
        let goals = check.findings.filter { $0.code == "goal-event-unknown" }
        #expect(goals.map { "\($0.line):\($0.column) \($0.severity.rawValue)" } == ["7:21 warning", "8:49 warning"], "\(goals.map(\.description))")
        #expect(goals.first?.message.contains("goal \"purchse\"") == true && goals.first?.message.contains("did you mean \"purchase\"?") == true)
        #expect(goals.last?.message.contains("\"invite_sent\"") == true)
        #expect(check.errorCount == 0)
    }

    @Test func aStageRuleOnTheRequestContextIsAWarningAtItsPath() throws {
        let check = try run([
            "stages.yml": "rules:\n  - stage: revenue\n    when: { user.plan: trial }\n  - stage: retention\n"
                + "    when: { $or: [{ context.page.path: /pricing }, { user.activated: true, context.campaign: spring }] }\n"
                + "  - stage: loyalty\n    when: { context.campaign: spring }\n"
                + "fallback: activation\n",
        ])
        let found = check.findings.filter { $0.code == "stage-rule-context" }
        #expect(found.map { "\($0.file ?? ""):\($0.line):\($0.column) \($0.severity.rawValue)" }
                == ["stages.yml:5:21 warning", "stages.yml:5:76 warning", "stages.yml:7:13 warning"], "\(found.map(\.description))")
        #expect(found.first?.message.contains("stage \"retention\" reads context.page.path") == true)
        // The rule on user fields alone says nothing.
        #expect(!found.contains { $0.message.contains("\"revenue\"") })
        #expect(check.errorCount == 0)
    }

    @Test func aFolderThatDoesNotLoadReportsItsLoadErrors() throws {
        let check = try run(["banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\npriorty: 3\n---\n<p>x</p>\n"])
        #expect(check.errorCount == 1)
        #expect(check.findings.first?.description.hasPrefix("banners/a.liquid:5:1: error: unknown key \"priorty\"") == true)
    }

    @Test func theSampleContentPassesClean() throws {
        let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("templates").path
        let check = ContentCheck.run(directory: templates, now: checkedAt)
        #expect(check.findings.map(\.description) == [])
        #expect(check.profiles.count >= 5)
        #expect(Set(check.messages.map(\.channel)) == ["banner", "email", "tooltip", "tour", "survey", "push"])
    }

    @Test func theSampleTemplatesFolderLoadsForTheRegisteredChannels() throws {
        let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("templates").path
        let delivery = try DeliveryContent.load(directory: templates, loadedAt: checkedAt)
        #expect(!delivery.content.campaigns.isEmpty)
        #expect(delivery.content.warnings.filter { $0.severity == .error }.isEmpty)
        #expect(Set(delivery.content.campaigns.map(\.channel)) == Set(Channels.rules.map(\.channel)))
    }
}

@Suite("stagecraft check: HTML problems at the template line")
struct LocatedProblemTests {
    @Test func aBadTagInAPartialIsReportedInThePartial() throws {
        let check = ContentCheck.run(directory: try contentFolder(ContentCheckTests.base.merging([
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n<section>\n{% render 'partials/box' %}\n</section>\n",
            "partials/box.liquid": "<div>\n  ok\n  <p><div>x</div></p>\n</div>\n",
        ]) { $1 }), now: checkedAt)
        let found = check.findings.filter { $0.severity == .error }
        let errors = found.map(\.description)
        // The <div> opening inside <p>, and the </p> left over, each at its column in the partial, with the place in
        // the banner's output beside it.
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.first?.hasPrefix("partials/box.liquid:3:6: error: <div> cannot be inside <p>") == true, "\(errors)")
        #expect(errors.first?.contains("(rendering banners/a.liquid; for profile") == true, "\(errors)")
        #expect(errors.first?.hasSuffix("[block-in-paragraph] (output 4:6)") == true, "\(errors)")
        #expect(found.first?.output == SourceLocation(file: nil, line: 4, column: 6))
        #expect(errors.last?.hasPrefix("partials/box.liquid:3:18: error: End tag </p>") == true, "\(errors)")
    }

    @Test func aBadTagInTheMessageIsReportedAtItsLine() throws {
        let check = ContentCheck.run(directory: try contentFolder(ContentCheckTests.base.merging([
            "banners/a.liquid": "---\ncampaign: a\nchannel: banner\nplacement: hero\n---\n<section>\n  {{ user.first_name }}<p><div>x</div></p>\n</section>\n",
        ]) { $1 }), now: checkedAt)
        let errors = check.findings.filter { $0.severity == .error }.map(\.description)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.first?.hasPrefix("banners/a.liquid:7:27: error: <div> cannot be inside <p>") == true, "\(errors)")
        #expect(errors.first?.hasSuffix("(output 2:9)") == true, "\(errors)")
        #expect(errors.first?.contains("rendering") == false, "\(errors)")
        #expect(errors.last?.hasPrefix("banners/a.liquid:7:39:") == true, "\(errors)")
    }
}
