import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Localization
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
    public internal(set) var source: Source
    /// The HTML checker's report on `html` (warnings only, for a block that is served).
    public let report: HTMLReport
    /// What a page's script needs besides the HTML: where a tooltip points, what a survey asks (in the user's
    /// language).
    public var fields: [(String, Value)] = []
}

/// What serving a decision came to: the block (nil when nothing may be shown) and every candidate that failed on
/// the way, in the order they were tried.
public struct ServedBlock: Sendable {
    public let block: RenderedBlock?
    public let failures: [DeliveryFailure]
}

extension DeliveryContent {
    /// The locale `user` is served in: the first of their language's fallback chain the content has, else the
    /// content's default.
    public func locale(for user: UserMoment) -> LocaleTag {
        content.translations.resolve(user.locale ?? content.translations.defaultLocale)
    }

    /// How `user` is served (the locale, its direction, the `t` and format filters' view of it): worked out once per
    /// render and handed to each step that needs it.
    public func served(_ user: UserMoment) -> ServedLocale {
        content.translations.serving(user.locale ?? content.translations.defaultLocale)
    }

    /// The options every render for `user` uses: escaping on for HTML, the user's zone, clock and language, the
    /// deadline of the current ``RenderBudget``.
    public func renderOptions(for user: UserMoment, served: ServedLocale? = nil, strict: Bool = false, autoescape: Bool = true) -> RenderOptions {
        var options = RenderOptions(strictVariables: strict, autoescape: autoescape, timeZone: user.profile.timeZone, now: user.now)
        // The `t` and format filters' view of the user's language (keys from a fallback go to the delivery's
        // ``FallbackRecorder``).
        options.host = served ?? self.served(user)
        if strict { options.optionalFieldRoots = strictOptionalRoots }
        let budget = RenderBudget.current
        options.deadline = budget.deadline
        options.isCancelled = budget.isCancelled
        return options
    }

    /// The template data for a campaign's message: the core's (user, stage, facts, recommendations...) plus
    /// `extra` keys on top.
    func data(for message: MessageTemplate, campaign: Campaign, user: UserMoment, extra: [(String, Value)] = [],
              served: ServedLocale? = nil) -> Value {
        Self.adding(extra, to: content.data(for: message, user: user, variant: DecisionEngine.variant(of: campaign, for: user.profile.id),
                                            served: served))
    }

    /// `data` with `keys` set on top, in order (a later key wins).
    static func adding(_ keys: [(String, Value)], to data: Value) -> Value {
        guard !keys.isEmpty, case .object(var o) = data else { return data }
        for (k, v) in keys { o[k] = v }
        return .object(o)
    }

    /// A block channel's render: the message's template rendered for the user (with the channel's own data, and
    /// the options' `extra` keys on top) and checked as a web fragment. A channel that read the user's data already
    /// (a survey renders its texts from it first) passes it as `prepared`, with the language it was made for.
    func renderBlock(_ message: MessageTemplate, for user: UserMoment, options: DeliveryOptions,
                     channelData: [(String, Value)] = [], fields: [(String, Value)] = [],
                     prepared: (data: Value, served: ServedLocale)? = nil) -> ChannelRender
    {
        let campaign = message.campaign
        let served = prepared?.served ?? served(user)
        let data = prepared?.data ?? data(for: message, campaign: campaign, user: user, extra: channelData + options.extra, served: served)
        let template = message.template(for: served.served)
        let html: String
        do {
            html = try template.render(data, options: renderOptions(for: user, served: served, strict: options.strict))
        } catch {
            return .failed(failure(campaign, rendering: error))
        }
        let report = check(html, as: .web, of: template, data: data, options: options, for: user, served: served)
        let block = RenderedBlock(campaign: campaign, variant: DecisionEngine.variant(of: campaign, for: user.profile.id),
                                  html: html, source: .winner, report: report, fields: fields)
        return ChannelRender(output: .block(block), failures: verdict(report, campaign: campaign).failure.map { [$0] } ?? [])
    }

    /// The HTML checker's report on `output`, which `template` rendered from `data` (escaping on), with its problems
    /// placed at the template lines that wrote them (through partials and layouts) by a second, mapped render: every
    /// problem when the options ask for it, else only when one stops the message. A mapped render that does not give
    /// the same output places nothing.
    func check(_ output: String, as channel: HTMLChannel, of template: Template, data: Value, options: DeliveryOptions,
               for user: UserMoment, served: ServedLocale? = nil) -> HTMLReport
    {
        let served = served ?? self.served(user)
        let report = HTMLValidator.validate(output, channel: channel, direction: served.direction)
        guard !report.diagnostics.isEmpty, options.locateProblems || !report.isValid else { return report }
        let renderOptions = renderOptions(for: user, served: served, strict: options.strict)
        guard let (again, map) = try? template.renderMapped(data, options: renderOptions), again == output else { return report }
        var placed = report
        for (i, d) in report.diagnostics.enumerated() {
            if let origin = map.origin(line: d.line, column: d.column) {
                placed.diagnostics[i] = d.placed(at: SourceLocation(file: (origin.template ?? template.name ?? "template") + ".liquid",
                                                                    line: origin.line, column: origin.column))
            }
        }
        return placed
    }

    /// A checker's report as a delivery result: an `invalid_html` failure naming the first error.
    func verdict(_ report: HTMLReport, campaign: Campaign) -> Result<Void, DeliveryFailure> {
        guard report.isValid else {
            let first = report.errors.first.map { d in
                (d.output.map { "\(d.location) (output \($0.line):\($0.column))" } ?? "\(d.location)") + ": " + d.message
            } ?? "invalid HTML"
            let what = campaign.channel == .email ? "a valid email" : "valid HTML"
            return .failure(failure(campaign, .invalidHTML, "the output is not \(what): \(first)", diagnostics: report.diagnostics))
        }
        return .success(())
    }

    /// Serves a placement decision: the winner if it renders and validates, else the next eligible campaign, else
    /// the placement's default, else nothing. Never a broken block. Campaigns in `excluding` (already on the page)
    /// are passed over.
    func serve(_ decision: Decision, for user: UserMoment, excluding: Set<String> = [],
               options: DeliveryOptions) -> ServedBlock
    {
        var failures: [DeliveryFailure] = []
        let tries: [(Selection, RenderedBlock.Source)] =
            (decision.selection.map { [($0, .winner)] } ?? []) + decision.fallbacks.map { ($0, .fallback) }
            + (decision.placementDefault.map { [($0, .placementDefault)] } ?? [])
        for (selection, source) in tries {
            // Read out of the selection once (each read is a copy of the campaign, one reference).
            let campaign = selection.campaign
            guard !excluding.contains(campaign.id) else { continue }
            let rendered = render(campaign, for: user, options: options)
            if rendered.failures.isEmpty, case .block(var block)? = rendered.output {
                // The channel's block, for this selection's campaign and variant: what it is served as is all it lacks.
                block.source = source
                return ServedBlock(block: block, failures: failures)
            }
            // A message of a channel that is not shown in slots (an email given a placement) cannot fill one.
            failures += rendered.failures.isEmpty
                ? [failure(campaign, .invalidOutput,
                           "\(campaign.channel.rawValue) messages are not shown in slots, so \(campaign.id) cannot fill \(decision.target)")]
                : rendered.failures
        }
        return ServedBlock(block: nil, failures: failures)
    }

    /// A failure of the campaign's message; with no diagnostics, one at the campaign's line saying `message`.
    func failure(_ campaign: Campaign, _ reason: DeliveryFailure.Reason, _ message: String,
                 diagnostics: [Diagnostic] = []) -> DeliveryFailure
    {
        DeliveryFailure(campaign: campaign.id, template: campaign.template, channel: campaign.channel, reason: reason,
                        message: message, liquidError: nil,
                        diagnostics: diagnostics.isEmpty
                            ? [Diagnostic(.error, .content, message, file: campaign.file, line: campaign.line, column: 1)] : diagnostics)
    }

    /// A render stopped by a Liquid error: at its place in the message, partial or layout, or at `place` for a
    /// template whose offsets are not its file's (a front matter field); `what` names the part that failed.
    func failure(_ campaign: Campaign, rendering error: LiquidError, what: String? = nil,
                 at place: SourceLocation? = nil) -> DeliveryFailure
    {
        let prefix = what.map { "\($0): " } ?? ""
        var diagnostic = error.diagnostic(in: campaign.file)
        diagnostic.message = prefix + diagnostic.message
        var place = place
        if place == nil, let name = error.templateName, let space = name.firstIndex(of: " ") {
            // A front matter or email.yml field (`emails/x.liquid subject`, `tours/x.liquid step 2 body`): its
            // offsets are the field's own, so the place is its key's line in that file.
            let file = String(name[..<space])
            let field = name[name.index(after: space)...].split(separator: " ").first.map(String.init) ?? ""
            let message = message(for: campaign)
            let line = file == campaign.file ? message?.line(of: field == "step" ? "steps" : field) ?? campaign.line : 1
            place = SourceLocation(file: file, line: line, column: 1)
            diagnostic.message = "\(name[name.index(after: space)...]): " + diagnostic.message
        } else if place == nil, error.line == nil {
            // An error with no place of its own (output past its limit): the campaign's line.
            place = SourceLocation(file: campaign.file, line: campaign.line, column: 1)
        }
        if let place {
            diagnostic.location = place
            diagnostic.sourceLine = ""
        }
        return DeliveryFailure(campaign: campaign.id, template: campaign.template, channel: campaign.channel, reason: .renderError,
                               message: prefix + error.message, liquidError: error.kind, diagnostics: [diagnostic])
    }
}
