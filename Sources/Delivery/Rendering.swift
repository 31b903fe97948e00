import Content
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// A block rendered and checked, ready to send.
public struct RenderedBlock: Sendable {
    public enum Source: String, Sendable {
        /// The decision's winner.
        case winner
        /// A lower-ranked eligible campaign, because the ones above it failed to render or validate.
        case fallback
        /// The placement's default.
        case placementDefault = "default"
    }

    public let campaign: Campaign
    public let variant: String?
    public let html: String
    public let source: Source
    /// The HTML checker's report on `html` (warnings only, for a block that is served).
    public let report: HTMLReport
}

/// What serving a decision came to: the block (nil when nothing may be shown) and every candidate that failed on
/// the way, in the order they were tried.
public struct ServedBlock: Sendable {
    public let block: RenderedBlock?
    public let failures: [DeliveryFailure]
}

extension DeliveryContent {
    /// The options every render for `user` uses: escaping on for HTML, the user's zone and clock, the deadline of
    /// the current ``RenderBudget``.
    public func renderOptions(for user: UserMoment, strict: Bool = false, autoescape: Bool = true) -> RenderOptions {
        var options = RenderOptions(strictVariables: strict, autoescape: autoescape, timeZone: user.profile.timeZone, now: user.now)
        if strict { options.optionalFieldRoots = strictOptionalRoots }
        let budget = RenderBudget.current
        options.deadline = budget.deadline
        options.isCancelled = budget.isCancelled
        return options
    }

    /// The template data for a campaign's message: the core's (user, stage, facts, recommendations...) plus
    /// `extra` keys on top.
    func data(for message: MessageTemplate, campaign: Campaign, user: UserMoment, extra: [(String, Value)] = []) -> Value {
        var data = content.data(for: message, user: user, variant: DecisionEngine.variant(of: campaign, for: user.profile.id))
        if !extra.isEmpty, case .object(var o) = data {
            for (k, v) in extra { o[k] = v }
            data = .object(o)
        }
        return data
    }

    /// Renders a campaign's message for the user and checks it as its channel's HTML: the HTML when it passes.
    func render(_ campaign: Campaign, for user: UserMoment, strict: Bool = false) -> Result<String, DeliveryFailure> {
        renderBlock(campaign, for: user, strict: strict).flatMap { html, report in verdict(report, campaign: campaign).map { html } }
    }

    /// A campaign's block rendered for the user (with its survey, and `extra` keys on top of the data) and the HTML
    /// checker's report on it, whether or not it passes.
    func renderBlock(_ campaign: Campaign, for user: UserMoment, strict: Bool = false,
                     extra: [(String, Value)] = []) -> Result<(String, HTMLReport), DeliveryFailure>
    {
        guard let message = message(for: campaign) else {
            return .failure(failure(campaign, .missingTemplate, "no template \"\(campaign.template)\" in the content"))
        }
        let html: String
        do {
            let survey = surveys[message.name].map { [("survey", $0.value)] } ?? []
            html = try message.template.render(data(for: message, campaign: campaign, user: user, extra: survey + extra),
                                               options: renderOptions(for: user, strict: strict))
        } catch {
            return .failure(failure(campaign, .renderError, error.message, line: error.line, column: error.column,
                                    in: error.templateName, liquid: error.kind))
        }
        return .success((html, HTMLValidator.validate(html, channel: campaign.channel == .email ? .email : .web)))
    }

    /// The HTML checker's verdict on a campaign's output.
    func check(_ html: String, campaign: Campaign) -> Result<Void, DeliveryFailure> {
        verdict(HTMLValidator.validate(html, channel: campaign.channel == .email ? .email : .web), campaign: campaign)
    }

    /// A checker's report as a delivery result: an `invalid_html` failure naming the first error.
    func verdict(_ report: HTMLReport, campaign: Campaign) -> Result<Void, DeliveryFailure> {
        guard report.isValid else {
            let first = report.errors.first.map { "\($0.line):\($0.column): \($0.message)" } ?? "invalid HTML"
            let what = campaign.channel == .email ? "a valid email" : "valid HTML"
            return .failure(failure(campaign, .invalidHTML, "the output is not \(what): \(first)", diagnostics: report.diagnostics))
        }
        return .success(())
    }

    /// Serves a placement decision: the winner if it renders and validates, else the next eligible campaign, else
    /// the placement's default, else nothing. Never a broken block. Campaigns in `excluding` (already on the page)
    /// are passed over.
    func serve(_ decision: Decision, for user: UserMoment, excluding: Set<String> = [], strict: Bool = false,
                      extra: [(String, Value)] = []) -> ServedBlock
    {
        var failures: [DeliveryFailure] = []
        let tries: [(Selection, RenderedBlock.Source)] =
            (decision.selection.map { [($0, .winner)] } ?? []) + decision.fallbacks.map { ($0, .fallback) }
            + (decision.placementDefault.map { [($0, .placementDefault)] } ?? [])
        for (selection, source) in tries where !excluding.contains(selection.campaign.id) {
            let checked = renderBlock(selection.campaign, for: user, strict: strict, extra: extra).flatMap { html, report in
                verdict(report, campaign: selection.campaign).map { (html, report) }
            }
            switch checked {
            case .success(let (html, report)):
                return ServedBlock(block: RenderedBlock(campaign: selection.campaign, variant: selection.variant, html: html,
                                                        source: source, report: report),
                                   failures: failures)
            case .failure(let f):
                failures.append(f)
            }
        }
        return ServedBlock(block: nil, failures: failures)
    }

    /// The steps of a tour campaign this user sees, each rendered through the tour's template with `step`
    /// (`number`, `count`, `title`, `body`, `target`, `position`, `first`, `last`).
    func renderTour(_ campaign: Campaign, for user: UserMoment, strict: Bool = false) -> Result<[RenderedStep], DeliveryFailure> {
        guard let message = message(for: campaign) else {
            return .failure(failure(campaign, .missingTemplate, "no template \"\(campaign.template)\" in the content"))
        }
        let steps = (tours[message.name] ?? []).filter { $0.applies(to: user) }
        var rendered: [RenderedStep] = []
        let plain = renderOptions(for: user, strict: strict, autoescape: false)
        // The user's data is the same for every step; each step adds only `step`.
        let base = data(for: message, campaign: campaign, user: user)
        for (i, step) in steps.enumerated() {
            do {
                let title = try step.title?.render(base, options: plain) ?? ""
                let body = try step.body?.render(base, options: plain) ?? ""
                let stepValue: Value = .object(LiquidObject([
                    ("number", .int(i + 1)), ("count", .int(steps.count)), ("first", .bool(i == 0)),
                    ("last", .bool(i == steps.count - 1)), ("title", .string(title)), ("body", .string(body)),
                    ("target", .string(step.target)), ("position", .string(step.position.rawValue)),
                ]))
                var withStep = base.objectValue ?? LiquidObject()
                withStep["step"] = stepValue
                let html = try message.template.render(.object(withStep), options: renderOptions(for: user, strict: strict))
                if case .failure(let f) = check(html, campaign: campaign) { return .failure(f) }
                rendered.append(RenderedStep(target: step.target, position: step.position, html: html))
            } catch {
                return .failure(failure(campaign, .renderError, "step \(i + 1): " + error.message, line: error.line,
                                        column: error.column, in: error.templateName, liquid: error.kind))
            }
        }
        return .success(rendered)
    }

    func failure(_ campaign: Campaign, _ reason: DeliveryFailure.Reason, _ message: String, line: Int? = nil,
                 column: Int? = nil, in source: String? = nil, liquid kind: LiquidError.Kind? = nil,
                 diagnostics: [Diagnostic] = []) -> DeliveryFailure
    {
        DeliveryFailure(campaign: campaign.id, template: campaign.template, channel: campaign.channel, reason: reason,
                        message: message, line: line, column: column,
                        partial: source.flatMap { $0 == campaign.template ? nil : $0 }, liquidError: kind, diagnostics: diagnostics)
    }
}
