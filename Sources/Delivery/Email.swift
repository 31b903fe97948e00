import Foundation
import HTMLCheck
import Liquid
import Personalization

/// An email rendered for one user: what a sending pipeline needs to hand to its mail service.
public struct RenderedEmail: Sendable {
    public let campaign: Campaign
    public let variant: String?
    public let subject: String
    public let preheader: String?
    public let html: String
    public let text: String
    /// Extra headers (`List-Unsubscribe`, `List-Unsubscribe-Post`), in order.
    public let headers: [(name: String, value: String)]
    /// The HTML checker's warnings (the 102 KB clipping limit, say); errors fail the render instead.
    public let warnings: [Diagnostic]
}

extension DeliveryContent {
    /// Renders an email message for the user: subject and preheader (plain text, one line), the HTML document
    /// (escaped, checked as an email), its plain-text version and headers. `extra` keys are added to the data.
    public func renderEmail(_ message: MessageTemplate, for user: UserMoment, extra: [(String, Value)] = [],
                            strict: Bool = false) -> Result<RenderedEmail, DeliveryFailure>
    {
        composeEmail(message, for: user, extra: extra, strict: strict).flatMap { email, report in
            verdict(report, campaign: message.campaign).map { email }
        }
    }

    /// The email and the HTML checker's full report, whether or not it passes (previews show both).
    public func composeEmail(_ message: MessageTemplate, for user: UserMoment, extra: [(String, Value)] = [],
                             strict: Bool = false) -> Result<(RenderedEmail, HTMLReport), DeliveryFailure>
    {
        let campaign = message.campaign
        let data = data(for: message, campaign: campaign, user: user, extra: extra)
        let plain = renderOptions(for: user, strict: strict, autoescape: false)
        func line(_ template: Template?) throws(LiquidError) -> String? {
            guard let template else { return nil }
            let text = try template.render(data, options: plain)
            return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ").trimmingCharacters(in: .whitespaces)
        }
        let subject: String
        let preheader: String?
        let unsubscribe: String?
        let html: String
        do {
            subject = try line(subjects[message.name]) ?? ""
            preheader = try line(preheaders[message.name])
            unsubscribe = try line(unsubscribes[message.name])
            html = try message.template.render(data, options: renderOptions(for: user, strict: strict))
        } catch {
            return .failure(failure(campaign, .renderError, error.message, line: error.line, column: error.column))
        }
        let report = HTMLValidator.validate(html, channel: .email)
        var headers: [(String, String)] = []
        if let unsubscribe, !unsubscribe.isEmpty {
            headers.append(("List-Unsubscribe", "<\(unsubscribe)>"))
            // RFC 8058: one-click unsubscribe works over HTTPS only.
            if unsubscribe.hasPrefix("https://") { headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")) }
        }
        let email = RenderedEmail(campaign: campaign, variant: DecisionEngine.variant(of: campaign, for: user.profile.id),
                                  subject: subject, preheader: preheader, html: html, text: PlainText.from(html: html),
                                  headers: headers, warnings: report.warnings)
        return .success((email, report))
    }
}
