import Content
import Diagnostics
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

extension Channel {
    public static let email = Channel(rawValue: "email")!
}

/// An email: a whole HTML document with a subject, sent on its own (by name, or decided among the emails of a
/// stage), checked as email HTML and finished for mail clients.
struct EmailChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .email, placement: .optional,
                                    frontMatterKeys: ["subject", "preheader", "from", "reply_to", "utm", "unsubscribe"])

    let subject: Template?
    let preheader: Template?
    /// Its unsubscribe address (front matter `unsubscribe`, else `email.yml`'s).
    let unsubscribe: Template?
    /// The parameters its links get (`email.yml`'s, with the front matter's `utm` over them).
    let linkParameters: [(name: String, value: Template)]

    /// `email.yml`'s Liquid (the unsubscribe address, link parameters), parsed with the set's environment.
    private static func parseSettings(_ content: ContentSet, issues: inout [Diagnostic])
        -> (unsubscribe: Template?, parameters: [(name: String, value: Template)])
    {
        func parse(_ source: EmailSettings.Source, _ what: String) -> Template? {
            do {
                return try content.environment.parse(source.text, name: "email.yml \(what)")
            } catch {
                issues.append(Diagnostic(.error, .content, "\(what): \(error.message)", file: "email.yml", line: source.line, column: 1))
                return nil
            }
        }
        let settings = content.email
        return (settings.unsubscribe.flatMap { parse($0, "unsubscribe") },
                settings.linkParameters.compactMap { p in parse(p.value, p.name).map { (name: p.name, value: $0) } })
    }

    static func check(_ content: ContentSet) -> [Diagnostic] {
        var issues: [Diagnostic] = []
        _ = parseSettings(content, issues: &issues)
        return issues
    }

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {
        let campaign = message.campaign
        let environment = content.environment
        // Problems in email.yml are reported once, by check(_:).
        var ignored: [Diagnostic] = []
        let shared = Self.parseSettings(content, issues: &ignored)
        func parse(_ key: String) -> Template? {
            guard let source = campaign.data[key]?.stringValue else { return nil }
            do {
                return try environment.parse(source, name: "\(message.file) \(key)")
            } catch {
                issues.append(Diagnostic(.error, .content, "\(key): \(error.message)", file: message.file, line: campaign.line, column: 1))
                return nil
            }
        }
        if campaign.data["subject"] == nil, !campaign.isDefault {
            issues.append(Diagnostic(.error, .content, "an email needs a subject in its front matter", file: message.file, line: campaign.line, column: 1))
        }
        subject = parse("subject")
        preheader = parse("preheader")
        unsubscribe = parse("unsubscribe") ?? shared.unsubscribe
        linkParameters = Self.linkParameters(of: message, over: shared.parameters, environment: environment, issues: &issues)
    }

    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        switch compose(message, for: user, in: delivery, options: options) {
        case .success(let (email, report)):
            return ChannelRender(output: .email(email, report),
                                 failures: delivery.verdict(report, campaign: message.campaign).failure.map { [$0] } ?? [])
        case .failure(let f):
            return .failed(f)
        }
    }

    /// The email and the HTML checker's full report, whether or not it passes (previews show both).
    ///
    /// The template's output is checked as it was written; when it passes, it is finished on libxml2's tree: the
    /// preheader put first in the body (hidden) unless the template placed one, `<style>` rules inlined, links given
    /// their tracking parameters; the plain text is made from that same tree, and the size warning is about what is sent.
    private func compose(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                         options: DeliveryOptions) -> Result<(RenderedEmail, HTMLReport), DeliveryFailure>
    {
        let extra = options.extra, strict = options.strict
        let campaign = message.campaign
        var data = delivery.data(for: message, campaign: campaign, user: user, extra: extra)
        let plain = delivery.renderOptions(for: user, strict: strict, autoescape: false)
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
            subject = try line(self.subject) ?? ""
            preheader = try line(self.preheader)
            unsubscribe = try line(self.unsubscribe).flatMap { $0.isEmpty ? nil : $0 }
            for (name, value) in linkParameters {
                parameters.append((name, try line(value) ?? ""))
            }
            // The template links to the same unsubscribe address the headers give.
            if let unsubscribe, case .object(var o) = data {
                o["unsubscribe_url"] = .string(unsubscribe)
                data = .object(o)
            }
            raw = try message.template(for: delivery.locale(for: user)).render(data, options: delivery.renderOptions(for: user, strict: strict))
        } catch {
            return .failure(delivery.failure(campaign, rendering: error))
        }
        var report = delivery.check(raw, as: .email, of: message.template(for: delivery.locale(for: user)), data: data, options: options,
                                    for: user)
        var html = raw
        var text: String
        if report.isValid, let tree = HTMLTree(html: raw) {
            // The language the email is in, and its direction, unless the template said.
            if let root = tree.root, root.name == "html" {
                let locale = delivery.locale(for: user)
                if !root.hasAttribute("lang") { root.setAttribute("lang", locale.identifier) }
                if !root.hasAttribute("dir") { root.setAttribute("dir", delivery.content.translations.direction(of: locale).rawValue) }
            }
            // A title is text: a name isolated with <bdi> by `t` is isolated there with Unicode's marks instead.
            if let title = tree.elements().first(where: { $0.name == "title" }) { EmailFinishing.isolateInTitle(title) }
            if let preheader, !preheader.isEmpty { EmailFinishing.insertPreheader(preheader, into: tree) }
            if delivery.content.email.inlineCSS { CSSInliner.inline(tree) }
            LinkDecoration.decorate(tree, parameters: parameters, hosts: delivery.content.email.trackedHosts, skipping: unsubscribe)
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

    /// A campaign's link parameters: the shared ones, with its front matter `utm` mapping over them (a value replaces,
    /// a new name adds, an empty value removes), or none for `utm: false`.
    private static func linkParameters(of message: MessageTemplate, over shared: [(name: String, value: Template)],
                               environment: Environment, issues: inout [Diagnostic]) -> [(name: String, value: Template)]
    {
        let campaign = message.campaign
        guard let own = campaign.data["utm"] else { return shared }
        if case .bool(false) = own { return [] }
        guard case .object(let o) = own else {
            issues.append(Diagnostic(.error, .content, "utm: a mapping of link parameters such as { utm_campaign: spring-sale }, or false", file: message.file, line: campaign.line, column: 1))
            return shared
        }
        var list = shared
        for (name, value) in o.pairs {
            guard let source = value.stringValue ?? (value.isNil ? "" : nil) else {
                issues.append(Diagnostic(.error, .content, "utm: the parameter \"\(name)\" must be text", file: message.file, line: campaign.line, column: 1))
                continue
            }
            let template: Template
            do {
                template = try environment.parse(source, name: "\(message.file) utm \(name)")
            } catch {
                issues.append(Diagnostic(.error, .content, "utm \(name): \(error.message)", file: message.file, line: campaign.line, column: 1))
                continue
            }
            if let i = list.firstIndex(where: { $0.name == name }) {
                list[i].value = template
            } else {
                list.append((name, template))
            }
        }
        return list
    }
}
