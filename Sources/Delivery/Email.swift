import Content
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
    /// The email and the HTML checker's full report, whether or not it passes (previews show both).
    ///
    /// The template's output is checked as it was written; when it passes, it is finished on libxml2's tree: the
    /// preheader put first in the body (hidden) unless the template placed one, `<style>` rules inlined, links given
    /// their tracking parameters; the plain text is made from that same tree, and the size warning is about what is sent.
    func composeEmail(_ message: MessageTemplate, for user: UserMoment, extra: [(String, Value)] = [],
                             strict: Bool = false) -> Result<(RenderedEmail, HTMLReport), DeliveryFailure>
    {
        let campaign = message.campaign
        var data = data(for: message, campaign: campaign, user: user, extra: extra)
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
        var parameters: [(String, String)] = []
        let raw: String
        do {
            subject = try line(subjects[message.name]) ?? ""
            preheader = try line(preheaders[message.name])
            unsubscribe = try line(unsubscribes[message.name]).flatMap { $0.isEmpty ? nil : $0 }
            for (name, value) in linkParameters[message.name] ?? [] {
                parameters.append((name, try line(value) ?? ""))
            }
            // The template links to the same unsubscribe address the headers give.
            if let unsubscribe, case .object(var o) = data {
                o["unsubscribe_url"] = .string(unsubscribe)
                data = .object(o)
            }
            raw = try message.template.render(data, options: renderOptions(for: user, strict: strict))
        } catch {
            return .failure(failure(campaign, .renderError, error.message, line: error.line, column: error.column,
                                    in: error.templateName, liquid: error.kind))
        }
        var report = HTMLValidator.validate(raw, channel: .email)
        var html = raw
        var text: String
        if report.isValid, let tree = HTMLTree(html: raw) {
            if let preheader, !preheader.isEmpty { EmailFinishing.insertPreheader(preheader, into: tree) }
            if content.email.inlineCSS { CSSInliner.inline(tree) }
            LinkDecoration.decorate(tree, parameters: parameters, hosts: content.email.trackedHosts, skipping: unsubscribe)
            html = tree.serialize()
            text = PlainText.from(tree)
        } else {
            text = PlainText.from(html: raw)
        }
        report = report.withClippingChecked(finalBytes: html.utf8.count)
        var headers: [(String, String)] = []
        if let unsubscribe {
            headers.append(("List-Unsubscribe", "<\(unsubscribe)>"))
            // RFC 8058: one-click unsubscribe works over HTTPS only.
            if unsubscribe.hasPrefix("https://") { headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")) }
        }
        if text.isEmpty { text = "\n" }
        let email = RenderedEmail(campaign: campaign, variant: DecisionEngine.variant(of: campaign, for: user.profile.id),
                                  subject: subject, preheader: preheader, html: html, text: text,
                                  headers: headers, warnings: report.warnings)
        return .success((email, report))
    }
}
