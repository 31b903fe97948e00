import Content
import Foundation
import Liquid
import Localization
import Testing
@testable import Delivery
import Personalization

@Suite("Emails end to end")
struct EmailTests {
    static let files: [String: String] = [
        "globals.yml": "brand: { name: Northwind, url: \"https://northwind.example\" }\n",
        "email.yml": """
            unsubscribe: "https://northwind.example/unsubscribe?u={{ user.id | url_encode }}"
            links:
              hosts: [northwind.example]
              parameters: { utm_source: stagecraft, utm_medium: email, utm_campaign: "{{ campaign.id }}", utm_content: "{{ variant }}" }
            """,
        "layouts/email.liquid": """
            <!DOCTYPE html>
            <html><head><title>{% block title %}{{ brand.name }}{% endblock %}</title>
            <style>p { color: #111 } .cta { color: #fff; background: #1d4ed8 } a:hover { color: red } @media (max-width: 600px) { p { font-size: 14px } }</style>
            </head><body>{% block content %}{% endblock %}
            <p class="foot">{% block footer %}<a href="{{ unsubscribe_url }}">Unsubscribe</a>{% endblock %}</p></body></html>
            """,
        "emails/hello.liquid": """
            ---
            campaign: hello
            channel: email
            subject: "Hello {{ user.first_name }}"
            preheader: "A short note"
            ---
            {% extends 'layouts/email' %}
            {% block content %}<h1>Hi {{ user.first_name }}</h1><ul><li>One</li><li>Two</li></ul>
            <p><a class="cta" href="https://northwind.example/start?ref=mail">Start</a> or <a href="https://elsewhere.example/">read</a></p>{% endblock %}
            """,
        "emails/no-utm.liquid": """
            ---
            campaign: receipt
            channel: email
            subject: "Your receipt"
            utm: false
            ---
            {% extends 'layouts/email' %}{% block content %}<p><a href="https://northwind.example/orders/1">Order 1</a></p>{% endblock %}
            """,
    ]

    static func email(_ name: String, user: Profile = Profile(id: "u 1", traits: LiquidObject([("first_name", .string("<Ada>"))]))) throws -> RenderedEmail {
        let delivery = try DeliveryContent.load(files: files, loadedAt: checkedAt)
        let content = delivery.content
        let moment = UserMoment(profile: user, now: checkedAt, stageRules: content.stageRules)
        let outcome = delivery.deliver(.message(content.messages[name]!), to: moment, history: InteractionHistory(),
                                       options: DeliveryOptions(renderRejected: true))[0]
        if let failure = outcome.failures.first { throw failure }
        guard case .email(let email, _)? = outcome.output else { throw DeliveryTestError.noEmail }
        return email
    }

    @Test func layoutInliningLinksPreheaderAndHeaders() throws {
        let email = try Self.email("emails/hello")
        #expect(email.subject == "Hello <Ada>")
        #expect(email.html.contains("<h1>Hi &lt;Ada&gt;</h1>"))
        #expect(email.html.contains(#"<a class="cta" href="https://northwind.example/start?ref=mail&amp;utm_source=stagecraft&amp;utm_medium=email&amp;utm_campaign=hello" style="color: #fff; background: #1d4ed8">Start</a>"#))
        #expect(email.html.contains(#"<a href="https://elsewhere.example/">read</a>"#))
        #expect(email.html.contains(#"<p class="foot" style="color: #111"><a href="https://northwind.example/unsubscribe?u=u+1">Unsubscribe</a></p>"#))
        #expect(email.html.contains("a:hover { color: red }"))
        #expect(email.html.contains("@media (max-width: 600px) { p { font-size: 14px } }"))
        #expect(email.html.contains(#"<div class="preheader" style="display: none; max-height: 0; overflow: hidden; mso-hide: all">A short note</div>"#))
        #expect(email.headers.map(\.name) == ["List-Unsubscribe", "List-Unsubscribe-Post"])
        #expect(email.headers.first?.value == "<https://northwind.example/unsubscribe?u=u+1>")
        #expect(email.text == """
            Hi <Ada>
            ========

            - One
            - Two

            Start (https://northwind.example/start?ref=mail&utm_source=stagecraft&utm_medium=email&utm_campaign=hello) or read (https://elsewhere.example/)

            Unsubscribe (https://northwind.example/unsubscribe?u=u+1)

            """)
    }

    @Test func aHeadingIsUnderlinedAsWideAsItIsShown() throws {
        // Han and kana take two columns in a monospaced reader, a combining accent none, an emoji two.
        let text = PlainText.from(html: "<html><body><h1>山田 花子さん、ようこそ</h1><h2>Cafe\u{301} 🎉</h2><h1>ｶﾀｶﾅ Ａ</h1></body></html>")
        #expect(text == """
            山田 花子さん、ようこそ
            =======================

            Café 🎉
            -------

            ｶﾀｶﾅ Ａ
            =======

            """)
        #expect(DisplayWidth.columns(of: "한국어") == 6)
        #expect(DisplayWidth.columns(of: "\u{1100}\u{1161}\u{11A8}") == 2, "conjoining jamo make one syllable")
        #expect(DisplayWidth.columns(of: "ليلى") == 4)
        #expect(DisplayWidth.columns(of: "a\u{200B}b\u{AD}") == 2, "zero width space and soft hyphen take no column")
    }

    @Test func aCampaignCanTurnLinkParametersOff() throws {
        let email = try Self.email("emails/no-utm")
        #expect(email.html.contains(#"href="https://northwind.example/orders/1""#))
    }

    @Test func theClippingWarningIsAboutWhatIsSent() throws {
        let traits = LiquidObject([("first_name", .string(String(repeating: "A", count: 110 * 1024)))])
        let email = try Self.email("emails/hello", user: Profile(id: "u", traits: traits))
        #expect(email.warnings.contains { $0.code == "email-clipped" && $0.message.contains("as sent") })
    }
}

enum DeliveryTestError: Error { case noEmail }
