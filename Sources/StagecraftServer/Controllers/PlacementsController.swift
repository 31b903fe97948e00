import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Localization
import Personalization
import Storage

/// Blocks for slots: `GET /v1/placements/{placement}` (one slot) and `POST /v1/decide` (the slots of a page), for
/// servers and, with a publishable key, browsers.
struct PlacementsController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: KeyMiddleware(keys: api.configuration.keys, access: .publishable))
        routes.get("placements/:placement") { request, context in try await placement(request, context) }
        routes.post("decide") { request, context in try await decide(request, context) }
    }

    func knownPlacement(_ name: String, _ loaded: LoadedContent) throws {
        guard loaded.content.engine.fills(name) else {
            var detail = "no placement \"\(name)\""
            if let near = Suggestion.closest(to: name, in: loaded.content.engine.placements) { detail += "; did you mean \"\(near)\"?" }
            throw Problem.notFound("unknown_placement", detail,
                                   extra: [("placements", .array(loaded.content.engine.placements.map(Value.string)))])
        }
    }

    func placement(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let grant = context.grant
        let name = try pathParameter(context, "placement")
        let loaded = content.current
        try knownPlacement(name, loaded)
        let (who, page, locale) = try visitor(request, grant: grant)
        let (user, history, _) = try await moment(who, loaded: loaded, context: page,
                                                  language: RequestLanguage(explicit: locale, request: request))
        let outcome = try await rendering(context) { loaded.delivery.deliver(.placement(name), to: user, history: history)[0] }
        guard let block = account(outcome) else {
            // Nothing eligible, or everything eligible failed: the reason of the first rejection or the last failure.
            let failed = outcome.failures.last.map { $0.liquidError == .timeout ? "render_timeout" : $0.reason.rawValue }
            return noContent(reason: outcome.decision.trace.first?.rejection?.code ?? failed ?? "no_candidates")
        }
        let accept = request.headers[.accept] ?? ""
        if accept.contains("text/html"), !accept.contains("application/json") {
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            headers[HTTPField.Name("X-Stagecraft-Campaign")!] = block.campaign.id
            if let v = block.variant { headers[HTTPField.Name("X-Stagecraft-Variant")!] = v }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: block.html)))
        }
        return json(blockValue(block, placement: name, stage: user.stage.stage, locale: loaded.delivery.locale(for: user),
                               delivery: loaded.delivery))
    }

    func decide(_ request: Request, _ requestContext: StagecraftRequestContext) async throws -> Response {
        var request = request
        let grant = requestContext.grant
        var f = JSONFields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let who = try who(userId: try f.id("user_id"), anonymousId: try f.id("anonymous_id"), hash: try f.string("user_hash"), grant: grant)
        let placements = try f.array("placements")
        let context = try f.object("context") ?? LiquidObject()
        let locale = try f.locale("locale")
        try f.finish()
        guard let list = placements else { throw f.missing("placements", "a list of placement names") }
        guard !list.isEmpty, list.count <= 20 else {
            throw Problem.unprocessable("invalid_field", "\"placements\" lists 1 to 20 placements", extra: [("field", "placements")])
        }
        let loaded = content.current
        var names: [String] = []
        for (i, v) in list.enumerated() {
            guard let name = v.stringValue else {
                throw Problem.unprocessable("invalid_field", "placements[\(i)] must be a string", extra: [("field", .string("placements[\(i)]"))])
            }
            try knownPlacement(name, loaded)
            if !names.contains(name) { names.append(name) }
        }
        let (user, history, _) = try await moment(who, loaded: loaded, context: context,
                                                  language: RequestLanguage(explicit: locale, request: request))
        let outcomes = try await rendering(requestContext) { [names] in loaded.delivery.deliver(.page(names), to: user, history: history) }
        var blocks = LiquidObject()
        for outcome in outcomes {
            blocks[outcome.target] = account(outcome).map {
                blockValue($0, placement: outcome.target, stage: user.stage.stage, locale: loaded.delivery.locale(for: user),
                           delivery: loaded.delivery)
            } ?? .null
        }
        return json(object([("stage", .string(user.stage.stage)), ("blocks", .object(blocks))]))
    }

    func blockValue(_ block: RenderedBlock, placement: String, stage: String, locale: LocaleTag, delivery: DeliveryContent) -> Value {
        var pairs: [(String, Value)] = [
            ("placement", .string(placement)), ("campaign", .string(block.campaign.id)),
            ("variant", block.variant.map(Value.string) ?? .null), ("channel", .string(block.campaign.channel.rawValue)),
            ("stage", .string(stage)), ("locale", .string(locale.identifier)),
            ("dir", .string(delivery.content.translations.direction(of: locale).rawValue)), ("source", .string(block.source.rawValue)),
            ("html", .string(block.html)),
            ("ttl", .int(configuration.blockTTL)),
        ]
        // What a page's script needs besides the HTML: where a tooltip points, what a survey asks.
        pairs += delivery.blockFields(for: block.campaign.template)
        return object(pairs)
    }

    /// Counts what serving a slot came to, and logs each failure on the way with its reason; the block, when one
    /// may be shown.
    func account(_ outcome: DeliveryOutcome) -> RenderedBlock? {
        for f in outcome.failures { record(f, what: "block not sent", target: outcome.target) }
        let label: String
        var shown: RenderedBlock?
        if case .block(let block) = outcome.output {
            shown = block
            metrics.count("renders", [("channel", block.campaign.channel.rawValue), ("outcome", "ok")])
            label = block.source == .winner ? "winner" : block.source.rawValue
        } else {
            label = "empty"
        }
        metrics.count("decisions", [("outcome", label)])
        if label != "winner", outcome.decision.selection != nil || !outcome.failures.isEmpty {
            metrics.count("fallbacks", [("placement", outcome.target), ("served_by", shown == nil ? "none" : label)])
        }
        return shown
    }
}
