import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// What to deliver: a slot, the slots of one page, or one message.
public enum DeliveryTarget: Sendable {
    /// A slot: its winner, else the next eligible campaign, else its default, else nothing.
    case placement(String)
    /// The slots of one page, in order: a campaign fills one slot at most.
    case page([String])
    /// One message, rendered as its channel renders it (a block, an email, a tour): a block decided in its placement
    /// when it has one and is not the default there, anything else as a candidate on its own.
    case message(MessageTemplate)
}

/// How to deliver it.
public struct DeliveryOptions: Sendable {
    /// How far down the ranking a decision goes: `.winner(fallbacks:)` to serve, `.full` to report every candidate.
    public var depth: DecisionEngine.Depth
    /// For a message: render it even when the decision rejects it (an email asked for by name, a preview).
    public var renderRejected: Bool
    /// Undefined variables and filters are errors (profile traits and `context` as the content set allows).
    public var strict: Bool
    /// Keys put on top of the template data (an email request's `data`).
    public var extra: [(String, Value)]
    /// Place every HTML problem, warnings too, at the template line that wrote it (previews, `check`); served
    /// renders place only the errors that stop a message, since placing takes a second render.
    public var locateProblems = false

    public init(depth: DecisionEngine.Depth = .winner(fallbacks: 3), renderRejected: Bool = false, strict: Bool = false,
                extra: [(String, Value)] = [])
    {
        self.depth = depth
        self.renderRejected = renderRejected
        self.strict = strict
        self.extra = extra
    }
}

/// A message rendered in its channel's form, with the HTML checker's report on it.
public enum DeliveredOutput: Sendable {
    case block(RenderedBlock)
    case email(RenderedEmail, HTMLReport)
    case tour([RenderedStep])
    /// A message of text fields rather than markup (a push notification), with its checks' findings.
    case fields(RenderedFields)
}

/// A message rendered as named text fields, in its channel's order, sent as they are (no HTML, no escaping).
public struct RenderedFields: Sendable {
    public let campaign: Campaign
    public let variant: String?
    public let fields: [(name: String, value: String)]
    /// What the channel's checks found: warnings only when the message may be sent.
    public let diagnostics: [Diagnostic]

    public init(campaign: Campaign, variant: String?, fields: [(name: String, value: String)], diagnostics: [Diagnostic]) {
        self.campaign = campaign
        self.variant = variant
        self.fields = fields
        self.diagnostics = diagnostics
    }
}

/// What delivering to one slot or one message came to.
public struct DeliveryOutcome: Sendable {
    /// The placement, or the message's name.
    public let target: String
    public let decision: Decision
    /// For a message: why its decision rejects it; nil when it is eligible.
    public let rejection: Rejection?
    /// What was rendered: for a slot, what may be sent; for a message, also output that failed its check (a preview
    /// shows it beside the diagnostics).
    public let output: DeliveredOutput?
    /// Every render or check that failed on the way, in the order tried.
    public let failures: [DeliveryFailure]
    /// Whether `output` may be sent: a slot's block (whatever failed before it), a message that rendered and passed.
    public let isSendable: Bool
    /// The translation keys its renders took from another locale than the one the user is served in.
    public var localeFallbacks: [FallbackUse] = []
}

extension DeliveryContent {
    /// The one delivery path: decides, renders and checks what `target` names for `user`, as every caller (the
    /// server's routes, the preview, the command line, `check`, the benchmarks) needs it, so what is previewed is
    /// what is served.
    public func deliver(_ target: DeliveryTarget, to user: UserMoment, history: InteractionHistory,
                        options: DeliveryOptions = DeliveryOptions()) -> [DeliveryOutcome]
    {
        let engine = content.engine
        switch target {
        case .placement(let placement):
            let decision = engine.decide(placement: placement, for: user, history: history, depth: options.depth)
            return [recorded { outcome(of: decision, for: user, options: options) }]
        case .page(let placements):
            var shown = Set<String>()
            return engine.decide(placements: placements, for: user, history: history, depth: options.depth).map { decision in
                let served = recorded { outcome(of: decision, for: user, options: options, excluding: shown) }
                if case .block(let block) = served.output, !block.campaign.isDefault { shown.insert(block.campaign.id) }
                return served
            }
        case .message(let message):
            let campaign = message.campaign
            let (decision, rejection) = decide(message, for: user, history: history, depth: options.depth)
            guard rejection == nil || options.renderRejected else {
                return [DeliveryOutcome(target: message.name, decision: decision, rejection: rejection, output: nil, failures: [],
                                        isSendable: false)]
            }
            return [recorded {
                let rendered = render(campaign, for: user, options: options)
                return DeliveryOutcome(target: message.name, decision: decision, rejection: rejection, output: rendered.output,
                                       failures: rendered.failures, isSendable: rendered.output != nil && rendered.failures.isEmpty)
            }]
        }
    }

    /// Whether `message` may go to the user now, given `history`: the decision, and the message's own rejection
    /// (nil when it may). A block is decided in its slot, where it is served; an email or a tour on its own, as their
    /// routes send them.
    public func decide(_ message: MessageTemplate, for user: UserMoment, history: InteractionHistory,
                       depth: DecisionEngine.Depth = .full) -> (Decision, Rejection?)
    {
        let campaign = message.campaign
        let inSlot = Channels.renderer(of: campaign.channel)?.isServedInSlot ?? false
        let decision = campaign.placement.flatMap { placement in
            campaign.isDefault || !inSlot ? nil : content.engine.decide(placement: placement, for: user, history: history, depth: depth)
        } ?? content.engine.decide(template: message.name, for: user, history: history)
        return (decision, decision.rejection(of: campaign.id))
    }

    /// An outcome with the translation keys its renders took from a fallback locale.
    private func recorded(_ make: () -> DeliveryOutcome) -> DeliveryOutcome {
        let recorder = FallbackRecorder()
        var outcome = FallbackRecorder.$current.withValue(recorder) { make() }
        outcome.localeFallbacks = recorder.all
        return outcome
    }

    /// A slot's decision served: the winner, a fallback or the default, whichever first renders and validates.
    private func outcome(of decision: Decision, for user: UserMoment, options: DeliveryOptions,
                         excluding: Set<String> = []) -> DeliveryOutcome
    {
        let served = serve(decision, for: user, excluding: excluding, options: options)
        return DeliveryOutcome(target: decision.target, decision: decision, rejection: nil, output: served.block.map(DeliveredOutput.block),
                               failures: served.failures, isSendable: served.block != nil)
    }
}

extension DeliveryContent {
    /// Every message delivered to every sample profile (at the stage its profile puts it in) as it would be served:
    /// one issue per message that fails to render or validate for one of them, at the line that failed. A reload
    /// refuses content with such issues, instead of serving the placement's default in their place unnoticed.
    public func sampleFailures(at now: Date) -> [Diagnostic] {
        var issues: [Diagnostic] = []
        let options = DeliveryOptions(depth: .winner(fallbacks: 0), renderRejected: true)
        for message in content.messages.values.sorted(by: { $0.file < $1.file }) {
            for (name, profile) in content.profiles.sorted(by: { $0.key < $1.key }) {
                let user = UserMoment(profile: profile, now: now, stageRules: content.stageRules)
                guard let f = deliver(.message(message), to: user, history: InteractionHistory(), options: options)[0].failures.first else {
                    continue
                }
                var d = f.firstError(file: message.file, line: message.campaign.line)
                d.message = "for the sample profile \(name): " + d.message
                if d.file != message.file { d.message += " (rendering \(message.file))" }
                issues.append(d)
                break
            }
        }
        return issues
    }
}

extension Result {
    /// The error, when the result is one.
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
