import Content
import Delivery
import Diagnostics
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// The studio's preview: `POST /v1/preview`, any template (by name or edited source) for any profile, stage and
/// time, through the delivery pipeline; secret keys only.
struct PreviewController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: api.keyCheck(.secret))
        routes.post("preview") { request, context in try await preview(request, context) }
    }

    /// `POST /v1/preview`: any template (by name, or an edited source with its front matter) for a stored or inline
    /// profile, at a chosen stage, time and zone. Answers the output, every diagnostic with its line and column, and
    /// the decision trace. A template with errors is an answer too (`ok: false`), not a failed request.
    func preview(_ request: Request, _ requestContext: StagecraftRequestContext) async throws -> Response {
        var request = request
        var f = JSONFields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let name = try f.string("template")
        let source = try f.string("source", nonEmpty: false)
        let profileId = try f.id("profile_id")
        let inline = try f.object("profile")
        let stage = try f.string("stage")
        let at = try f.time("at")
        let zone = try f.timeZone("time_zone")
        let locale = try f.locale("locale")
        let extra = try f.object("data") ?? LiquidObject()
        try f.finish()

        // An edited source is loaded with the rest of the content, so its front matter, partials and rules are
        // checked as a reload would check them.
        var templateName = name ?? "preview"
        if templateName.hasSuffix(".liquid") { templateName = String(templateName.dropLast(7)) }
        let current = content.current
        var delivery = current.delivery
        if let source {
            var files = current.files
            files[templateName + ".liquid"] = source
            do {
                delivery = try content.load(files: files)
            } catch {
                let mine = error.diagnostics.filter { $0.file == templateName + ".liquid" }
                let shown = mine.isEmpty ? error.diagnostics : mine
                return json(object([
                    ("ok", false), ("template", .string(templateName)), ("output", .null),
                    ("diagnostics", .array(shown.map(\.value))),
                ]))
            }
        } else if name == nil {
            throw Problem.unprocessable("missing_field", "send \"template\" (a name) or \"source\" (the template's text)", extra: [("field", "template")])
        }
        let set = delivery.content
        guard let message = set.messages[templateName] else {
            var detail = "no template \"\(templateName)\""
            if let near = Suggestion.closest(to: templateName, in: Array(set.messages.keys)) { detail += "; did you mean \"\(near)\"?" }
            throw Problem.notFound("unknown_template", detail, extra: [("templates", .array(set.messages.keys.sorted().map(Value.string)))])
        }
        if let stage, !set.stageRules.stages.contains(stage) {
            throw Problem.unprocessable("invalid_field", "unknown stage \"\(stage)\"; the stages are " + set.stageRules.stages.joined(separator: ", "),
                                        extra: [("field", "stage")])
        }

        // The user: an inline profile, a stored one, a sample from profiles/, or nobody in particular.
        var profile: Profile
        var history = InteractionHistory()
        if let inline {
            do {
                profile = try Profile(json: .object(inline))
            } catch {
                throw Problem.inlineProfile(error)
            }
        } else if let profileId {
            if let stored = try await store.profile(id: profileId, eventLimit: configuration.eventLimit) {
                profile = stored
                history = try await store.history(userId: profileId)
            } else if let sample = set.profiles[profileId] {
                profile = sample
            } else {
                throw Problem.notFound("unknown_profile", "no stored or sample profile \"\(profileId)\"",
                                       extra: [("samples", .array(set.profiles.keys.sorted().map(Value.string)))])
            }
        } else {
            profile = Profile(id: "preview")
        }
        if let zone { profile.timeZone = TimeZone(identifier: zone)! }
        var context = extra
        context["preview"] = true
        let user = UserMoment(profile: profile, now: at ?? clock(), stageRules: set.stageRules, statedStage: stage, context: context,
                              locale: locale)
        return try await rendering(requestContext, on: .previews) { [delivery, history] in
            previewAnswer(message: message, user: user, history: history, delivery: delivery, extra: extra)
        }
    }

    /// The decide-render-check step of a preview, and its answer.
    private func previewAnswer(message: MessageTemplate, user: UserMoment, history: InteractionHistory, delivery: DeliveryContent,
                               extra: LiquidObject) -> Response
    {
        let profile = user.profile
        let campaign = message.campaign
        // As served, but rendered whatever the decision says, with every candidate in the trace.
        var options = DeliveryOptions(depth: .full, renderRejected: true, extra: Array(extra.pairs))
        options.locateProblems = true
        let outcome = delivery.deliver(.message(message), to: user, history: history, options: options)[0]
        let decision = outcome.decision
        let verdict = outcome.rejection

        // Every problem, each at the template line behind it (the output's place beside for one found in the output).
        var diagnostics: [Diagnostic] = []
        let ok: Bool
        switch outcome.output {
        case .email(_, let checked)?:
            diagnostics = checked.diagnostics
            ok = checked.isValid
        case .block(let block)?:
            diagnostics = block.report.diagnostics
            ok = block.report.isValid
        case .tour?:
            ok = outcome.failures.isEmpty
            diagnostics = outcome.failures.flatMap(\.diagnostics)
        case .fields(let rendered)?:
            diagnostics = rendered.diagnostics
            ok = !rendered.diagnostics.hasErrors
        case nil:
            ok = false
            diagnostics = outcome.failures.flatMap(\.diagnostics)
        }
        // After a render that worked, a strict one finds the first undefined variable or filter (a warning: the
        // output is the lenient render users get), through the same path with the same data.
        if outcome.output != nil {
            var strict = options
            strict.strict = true
            for f in delivery.deliver(.message(message), to: user, history: history, options: strict)[0].failures
                where f.liquidError == .undefinedVariable || f.liquidError == .undefinedFilter
            {
                diagnostics += f.diagnostics.map { d in
                    var warning = d
                    warning.severity = .warning
                    return warning
                }
            }
        }
        // The output as the messages route gives it, so a preview shows what is sent.
        let output: Value = outcome.output.map { object(outputPairs($0)) } ?? .null
        return json(object([
            ("ok", .bool(ok)), ("template", .string(message.name)), ("channel", .string(campaign.channel.rawValue)),
            ("campaign", .string(campaign.id)), ("stage", .string(user.stage.stage)), ("stage_stated", .bool(user.stage.stated)),
            ("locale", .string(delivery.locale(for: user).identifier)),
            // The language asked for, when the content serves another (ja, served in en).
            ("locale_wanted", user.locale.map { .string($0.identifier) } ?? .null),
            ("dir", .string(delivery.content.translations.direction(of: delivery.locale(for: user)).rawValue)),
            ("at", .string(Timestamp.format(user.now))), ("time_zone", .string(profile.timeZone.identifier)),
            ("output", output), ("diagnostics", .array(diagnostics.map(\.value))),
            ("decision", object([
                ("target", .string(decision.target)),
                ("eligible", .bool(verdict == nil)),
                ("chosen", decision.selection.map { .string($0.campaign.id) } ?? .null),
                // What the slot shows when nothing is chosen (or the chosen one fails to render).
                ("default", decision.placementDefault.map { .string($0.campaign.id) } ?? .null),
                ("reason", verdict.map { .string($0.code) } ?? .null),
                ("tie_break", .string(Decision.tieBreak)),
                // Each translation key served from another locale than the user's: the key, the locale wanted, the one used.
                ("locale_fallbacks", .array(outcome.localeFallbacks.map(fallbackValue))),
                ("trace", decision.traceValue),
            ])),
        ]))
    }
}
