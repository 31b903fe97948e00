import Content
import Delivery
import Foundation
import HTMLCheck
import Liquid
import Localization
import Personalization
import Testing

/// Right to left: the locale's direction on emails and blocks, user data of the other direction isolated, and the
/// HTML checker's warning for right-to-left text with no right-to-left direction in scope.
@Suite("Text direction")
struct DirectionTests {
    static let files: [String: String] = [
        "locales/en.json": #"{"hi": "Hello {{ name }}!", "subject": "For {{ name }}"}"#,
        "locales/ar.json": #"{"hi": "مرحبا {{ name }}!", "subject": "إلى {{ name }}"}"#,
        "emails/hi.liquid": """
            ---
            campaign: hi
            channel: email
            subject: "{{ 'subject' | t: name: user.name }}"
            unsubscribe: "https://example.com/u"
            ---
            <!DOCTYPE html><html><head><title>{{ 'subject' | t: name: user.name }}</title></head><body><p>{{ 'hi' | t: name: user.name }}</p><a href="https://example.com/u">x</a></body></html>
            """,
    ]

    static func email(locale: String, name: String) throws -> RenderedEmail {
        let delivery = try DeliveryContent.load(files: files, loadedAt: checkedAt)
        let profile = Profile(id: "u", traits: LiquidObject([("name", .string(name))]), locale: LocaleTag(locale))
        let user = UserMoment(profile: profile, now: checkedAt, stageRules: delivery.content.stageRules)
        let outcome = delivery.deliver(.message(delivery.content.messages["emails/hi"]!), to: user, history: InteractionHistory(),
                                       options: DeliveryOptions(renderRejected: true))[0]
        guard case .email(let email, _)? = outcome.output else { throw TranslationError("\(outcome.failures)") }
        return email
    }

    @Test func anArabicEmailIsRightToLeftWithTheLatinNameIsolated() throws {
        let email = try Self.email(locale: "ar-AE", name: "Layla")
        #expect(email.html.contains(#"<html lang="ar" dir="rtl">"#))
        // A title is text: the name is isolated there with Unicode's marks, not <bdi>.
        #expect(email.html.contains("<title>إلى \u{2068}Layla\u{2069}</title>"), "\(email.html)")
        #expect(email.html.contains("<p>مرحبا <bdi>Layla</bdi>!</p>"))
        // In the subject and the plain text, Unicode's first-strong isolate and pop.
        #expect(email.subject == "إلى \u{2068}Layla\u{2069}")
        #expect(email.text.contains("مرحبا \u{2068}Layla\u{2069}!"))
        let english = try Self.email(locale: "en", name: "Layla")
        #expect(english.html.contains(#"<html lang="en" dir="ltr">"#) && english.subject == "For Layla")
    }

    @Test func theCheckerWarnsOfRightToLeftTextWithoutRightToLeftDirection() {
        func codes(_ html: String, _ direction: TextDirection = .ltr) -> [String] {
            HTMLValidator.validate(html, channel: .web, direction: direction).diagnostics.compactMap(\.code)
        }
        #expect(codes("<p>مرحبا</p>") == ["rtl-text-without-dir"])
        #expect(codes("<p dir=\"rtl\">مرحبا</p>").isEmpty)
        #expect(codes("<div dir=\"rtl\"><p><b>مرحبا</b></p></div>").isEmpty)
        #expect(codes("<p>Hello <bdi>ليلى</bdi></p>").isEmpty)
        #expect(codes("<p dir=\"auto\">مرحبا</p>").isEmpty)
        #expect(codes("<p>مرحبا</p>", .rtl).isEmpty, "served right to left")
        #expect(codes("<div dir=\"rtl\"><p dir=\"ltr\">ok <span>שלום</span></p></div>") == ["rtl-text-without-dir"])
        #expect(codes("<p>Hello<!-- مرحبا --></p>").isEmpty, "comments are not text")
        let report = HTMLValidator.validate("<p>ok</p>\n<p>Hi مرحبا</p>", channel: .web)
        #expect(report.diagnostics.first?.line == 2 && report.diagnostics.first?.column == 7 && report.isValid, "a warning, at the text")
    }
}
