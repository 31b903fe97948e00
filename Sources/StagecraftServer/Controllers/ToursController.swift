import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// Product tours: `GET /v1/tours/{tour}`, the steps this user sees, for servers and browsers.
struct ToursController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: api.keyCheck(.publishable))
        routes.get("tours/:tour") { request, context in try await tour(request, context) }
    }

    func tour(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let grant = context.grant
        let name = try pathParameter(context, "tour")
        let loaded = content.current
        let tours = loaded.content.messages.values.filter { $0.campaign.channel == .tour }
        guard let message = tours.first(where: { $0.campaign.id == name || $0.name == name || $0.name == "tours/" + name }) else {
            throw Problem.notFound("unknown_tour", "no tour \"\(name)\"",
                                   extra: [("tours", .array(tours.map { .string($0.campaign.id) }.sorted { $0.description < $1.description }))])
        }
        let (who, page, locale) = try visitor(request, grant: grant)
        let (user, history, _) = try await moment(who, loaded: loaded, context: page,
                                                  language: RequestLanguage(explicit: locale, request: request))
        let outcome = try await rendering(context) { loaded.delivery.deliver(.message(message), to: user, history: history)[0] }
        observe(outcome, of: user)
        if let rejection = outcome.rejection {
            metrics.count("decisions", [("outcome", "empty")])
            return noContent(reason: rejection.code)
        }
        guard outcome.isSendable, case .tour(let steps)? = outcome.output else {
            let failure = outcome.failures.first
            if let failure { record(failure, what: "tour not sent", target: message.name) }
            metrics.count("decisions", [("outcome", "empty")])
            return noContent(reason: failure.map { $0.liquidError == .timeout ? "render_timeout" : $0.reason.rawValue } ?? "no_candidates")
        }
        metrics.count("renders", [("channel", "tour"), ("outcome", "ok")])
        metrics.count("decisions", [("outcome", "winner")])
        guard !steps.isEmpty else { return noContent(reason: "no_steps_for_user") }
        let served = loaded.delivery.locale(for: user)
        return json(object([
            ("tour", .string(message.campaign.id)), ("campaign", .string(message.campaign.id)),
            ("variant", DecisionEngine.variant(of: message.campaign, for: user.profile.id).map(Value.string) ?? .null),
            ("stage", .string(user.stage.stage)), ("locale", .string(served.identifier)),
            ("dir", .string(loaded.content.translations.direction(of: served).rawValue)),
            ("steps", .array(steps.enumerated().map { i, s in
                object([("number", .int(i + 1)), ("target", .string(s.target)), ("position", .string(s.position.rawValue)),
                        ("html", .string(s.html))])
            })),
            ("ttl", .int(configuration.blockTTL)),
            ("ui", loaded.delivery.embedWords(for: user)),
        ]))
    }
}
