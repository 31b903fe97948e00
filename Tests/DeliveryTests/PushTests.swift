import Content
import Foundation
import HTMLCheck
import Liquid
import Testing
@testable import Delivery
import Personalization

@Suite("Push notifications")
struct PushTests {
    static func push(_ frontMatter: String, body: String = "") -> String {
        "---\ncampaign: p\nchannel: push\nstages: [activation]\n\(frontMatter)\n---\n\(body)"
    }

    /// The push message `push/p` with `frontMatter`, delivered to `traits`.
    static func deliver(_ frontMatter: String, traits: [(String, Value)] = [("first_name", .string("Ada"))]) throws -> DeliveryOutcome {
        let delivery = try DeliveryContent.load(files: ["push/p.liquid": push(frontMatter)], loadedAt: checkedAt)
        let user = UserMoment(profile: Profile(id: "u1", traits: LiquidObject(traits)), now: checkedAt,
                              stageRules: delivery.content.stageRules)
        return delivery.deliver(.message(delivery.content.messages["push/p"]!), to: user, history: InteractionHistory(),
                                options: DeliveryOptions(renderRejected: true))[0]
    }

    static func fields(_ outcome: DeliveryOutcome) -> [String: String] {
        guard case .fields(let f)? = outcome.output else { return [:] }
        return Dictionary(uniqueKeysWithValues: f.fields.map { ($0.name, $0.value) })
    }

    static func loadIssues(_ files: [String: String]) -> [String] {
        do {
            _ = try DeliveryContent.load(files: files, loadedAt: checkedAt)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func fieldsRenderAsTextWithoutEscaping() throws {
        let outcome = try Self.deliver("""
            title: "{{ user.first_name }} & Co, 5 > 3"
            body: "Line one\\nline \\"two\\""
            image: "https://cdn.example/i.png"
            url: "northwind://orders/42"
            """)
        #expect(outcome.isSendable)
        #expect(Self.fields(outcome) == ["title": "Ada & Co, 5 > 3", "body": "Line one\nline \"two\"",
                                         "image": "https://cdn.example/i.png", "url": "northwind://orders/42"])
        guard case .fields(let f)? = outcome.output else { Issue.record("no fields"); return }
        #expect(f.fields.map(\.name) == ["title", "body", "image", "url"])
        #expect(f.diagnostics.isEmpty)
    }

    @Test func anEmptyOptionalLinkIsLeftOut() throws {
        let outcome = try Self.deliver("title: Hi\nbody: There\nurl: \"{{ user.missing }}\"")
        #expect(outcome.isSendable)
        #expect(Self.fields(outcome) == ["title": "Hi", "body": "There"])
    }

    @Test func markupFromUserDataStopsTheNotification() throws {
        let outcome = try Self.deliver("title: \"Hi {{ user.first_name }}\"\nbody: There",
                                       traits: [("first_name", .string("<img src=x onerror=alert(1)>"))])
        #expect(!outcome.isSendable)
        #expect(outcome.failures.first?.reason == .invalidOutput)
        #expect(outcome.failures.first?.diagnostics.first?.code == "push-markup")
        // Stripped, the same data is fine.
        let stripped = try Self.deliver("title: \"Hi {{ user.first_name | strip_html | strip | default: 'there' }}\"\nbody: There",
                                        traits: [("first_name", .string("<img src=x onerror=alert(1)>"))])
        #expect(stripped.isSendable)
        #expect(Self.fields(stripped)["title"] == "Hi there")
    }

    @Test(arguments: [
        // (field, value, code or nil when clean, severity)
        ("title", "Hello", nil, nil),
        ("title", "Ada <Admin>", "push-markup", "error"),
        ("title", "a </b> end", "push-markup", "error"),
        ("title", "<!-- hi -->", "push-markup", "error"),
        ("title", "1 < 2 and 3 <4", nil, nil),
        ("title", "Tom &amp; Jerry", "push-markup", "error"),
        ("title", "It&#39;s here", "push-markup", "error"),
        ("title", "It&#x27;s here", "push-markup", "error"),
        ("title", "Fish & chips; tonight", nil, nil),
        ("title", "Two\nlines", "push-control-character", "error"),
        ("body", "Two\nlines", nil, nil),
        ("body", "Tab\there", "push-control-character", "error"),
        ("body", "Bell\u{7}", "push-control-character", "error"),
        ("body", "Del\u{7F}", "push-control-character", "error"),
        ("body", "C1\u{85}", "push-control-character", "error"),
        ("title", "ليلى، تجربتك تنتهي غدًا", nil, nil),
        ("title", String(repeating: "é", count: 50), nil, nil),
        ("title", String(repeating: "é", count: 51), "push-title-long", "warning"),
        ("title", String(repeating: "👍🏽", count: 50), nil, nil),
        ("body", String(repeating: "花", count: 150), nil, nil),
        ("body", String(repeating: "花", count: 151), "push-body-long", "warning"),
        ("title", "", "push-empty", "error"),
        ("url", "https://northwind.example/a?b=c", nil, nil),
        ("url", "northwind://orders/42", nil, nil),
        ("url", "com.northwind.app:/orders", nil, nil),
        ("url", "http://northwind.example/", "push-url-invalid", "error"),
        ("url", "javascript:alert(1)", "push-url-invalid", "error"),
        ("url", "JavaScript://%0Aalert(1)", "push-url-invalid", "error"),
        ("url", "data:text/html,hi", "push-url-invalid", "error"),
        ("url", "https:///nohost", "push-url-invalid", "error"),
        ("url", "https://a.example/x y", "push-url-invalid", "error"),
        ("url", "/relative/path", "push-url-invalid", "error"),
        ("url", "mailto:a@b.example", "push-url-invalid", "error"),
        ("image", "https://cdn.example/i.png", nil, nil),
        ("image", "northwind://img", "push-image-invalid", "error"),
    ] as [(String, String, String?, String?)])
    func everyCharacterIsChecked(field: String, value: String, code: String?, severity: String?) {
        var fields: [(name: String, value: String)] = [("title", "T"), ("body", "B")]
        if let i = fields.firstIndex(where: { $0.name == field }) { fields[i].value = value } else { fields.append((field, value)) }
        let found = PushChannel.check(fields, lines: [field: 3], frontMatterLine: 3)
        #expect(found.map(\.code) == (code.map { [$0] } ?? []), "\(field): \(value.debugDescription)")
        #expect(found.first?.severity.rawValue == severity)
        #expect(found.allSatisfy { $0.line == 3 })
    }

    @Test func aPayloadPastFourKilobytesIsRefused() {
        let body = String(repeating: "a", count: 4000)
        let found = PushChannel.check([("title", "T"), ("body", body), ("url", "https://n.example/" + String(repeating: "b", count: 100))], frontMatterLine: 1)
        #expect(found.map(\.code) == ["push-body-long", "push-payload-too-large"])
        let fits = PushChannel.check([("title", "T"), ("body", String(repeating: "a", count: 4000))], frontMatterLine: 1)
        #expect(fits.map(\.code) == ["push-body-long"])
    }

    @Test func frontMatterIsCheckedAtLoad() {
        #expect(Self.loadIssues(["push/p.liquid": Self.push("body: There")]).contains { $0.contains("a push message needs a \"title\"") })
        #expect(Self.loadIssues(["push/p.liquid": Self.push("title: Hi\nbody: There", body: "<p>Hi</p>")])
            .contains { $0.contains("the template after it must be empty") })
        let liquid = Self.loadIssues(["push/p.liquid": Self.push("title: Hi\nbody: \"{{ x | \"")])
        #expect(liquid.contains { $0.hasPrefix("push/p.liquid:") && $0.contains("error: body:") }, "\(liquid)")
        #expect(Self.loadIssues(["push/p.liquid": Self.push("title: Hi\nbody: There\nsubject: Nope")])
            .filter { $0.contains("error") } == ["push/p.liquid:7:1: error: \"subject\" belongs to the email channel, not to a push"])
        #expect(Self.loadIssues(["push/p.liquid": "---\ncampaign: p\nchannel: psuh\ntitle: Hi\nbody: There\n---\n"])
            .contains { $0.contains("unknown channel \"psuh\"") && $0.contains("(did you mean \"push\"?)") })
        #expect(Self.loadIssues(["caps.yml": "push: { max: 2, per: day }\n", "push/p.liquid": Self.push("title: Hi\nbody: There")])
            .filter { $0.contains("error") } == [])
    }

    @Test func everyRegisteredChannelHasItsOwnName() {
        let names = Channels.rules.map(\.channel.rawValue)
        #expect(Set(names).count == names.count)
        #expect(names.contains("push"))
    }
}

@Suite("Push notifications: characters and links")
struct PushCharacterTests {
    @Test(arguments: [
        ("title", "Hi \u{202E}gnp.exe", "push-control-character"),
        ("title", "a\u{202A}b", "push-control-character"),
        ("title", "one\u{2028}two", "push-control-character"),
        ("body", "one\u{2029}two", "push-control-character"),
        ("title", "\u{2068}ليلى\u{2069}, welcome", nil),
        ("title", "Hi \u{200F}ليلى", nil),
        ("title", "👩‍👩‍👧 family", nil),
        ("url", "intent://scan/#Intent;scheme=zxing;end", "push-url-invalid"),
        ("url", "itms-services://?action=download-manifest", "push-url-invalid"),
        ("url", "tel://+441234", "push-url-invalid"),
        ("url", "sms://+441234", "push-url-invalid"),
    ] as [(String, String, String?)])
    func refusedAndAccepted(field: String, value: String, code: String?) {
        var fields: [(name: String, value: String)] = [("title", "T"), ("body", "B")]
        if let i = fields.firstIndex(where: { $0.name == field }) { fields[i].value = value } else { fields.append((field, value)) }
        #expect(PushChannel.check(fields).map(\.code) == (code.map { [$0] } ?? []), "\(field): \(value.debugDescription)")
    }

    @Test func problemsAreAtTheirKeysLineAndNameTheCharacter() throws {
        let outcome = try PushTests.deliver("title: \"Hi {{ user.first_name }}\"\nbody: \"{{ user.note }}\"",
                                            traits: [("first_name", .string("👍🏽<b>")), ("note", .string("a\r\nb"))])
        let diagnostics = outcome.failures.first?.diagnostics ?? []
        #expect(diagnostics.map(\.code) == ["push-markup"])
        #expect(diagnostics.first?.line == 5)
        #expect(diagnostics.first?.message.hasPrefix("title: character 5 of the rendered title is markup") == true)
        // Windows line ends from data are line breaks, allowed in a body.
        guard case .fields(let f)? = outcome.output else { Issue.record("no fields"); return }
        #expect(f.fields.first { $0.name == "body" }?.value == "a\nb")
    }

    @Test func aPushIsNotShownInASlot() {
        let issues = PushTests.loadIssues(["push/p.liquid": PushTests.push("placement: home-hero\ntitle: Hi\nbody: There")])
        #expect(issues.contains("push/p.liquid:5:1: error: a push is sent on its own, not shown in a slot: remove \"placement\""))
    }
}
