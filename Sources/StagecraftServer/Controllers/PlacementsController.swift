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
        let routes = v1.group().add(middleware: api.keyCheck(.publishable))
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
        observe(outcome, of: user)
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
        let reserve = try f.bool("reserve") ?? false
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
        observe(outcomes, of: user, countsStage: false)
        let shown = outcomes.map { (placement: $0.target, block: account($0)) }
        let verdicts = reserve ? try await reserveImpressions(shown, for: user, loaded: loaded) : [:]
        var blocks = LiquidObject()
        var withdrawn = LiquidObject()
        for (placement, block) in shown {
            guard let block else {
                blocks[placement] = .null
                continue
            }
            if let reason = verdicts[placement] ?? nil {
                blocks[placement] = .null
                withdrawn[placement] = .string(reason)
                continue
            }
            var value = blockValue(block, placement: placement, stage: user.stage.stage, locale: loaded.delivery.locale(for: user),
                                   delivery: loaded.delivery)
            if verdicts.keys.contains(placement), case .object(var o) = value {
                o["reserved"] = .bool(true)
                value = .object(o)
            }
            blocks[placement] = value
        }
        var answer: [(String, Value)] = [("stage", .string(user.stage.stage)), ("blocks", .object(blocks))]
        if reserve { answer.append(("withdrawn", .object(withdrawn))) }
        // The words the embed script shows around the blocks (buttons, labels), in the reader's language.
        answer.append(("ui", loaded.delivery.embedWords(for: user)))
        return json(object(answer))
    }

    /// `reserve`: the page's blocks counted as shown now, each checked again against the user's history as kept, in
    /// one step with the impressions recorded (see ``Store/admit(userId:idempotency:at:_:)``), so that pages asking at
    /// once never exceed a cap. A block whose cap was reached meanwhile is withdrawn: the answer per placement is nil
    /// (reserved) or the reason it was withdrawn. Placement defaults have no caps and are not counted.
    func reserveImpressions(_ shown: [(placement: String, block: RenderedBlock?)], for user: UserMoment,
                            loaded: LoadedContent) async throws -> [String: String?]
    {
        let counted = shown.compactMap { item in item.block.flatMap { $0.campaign.isDefault ? nil : (item.placement, $0) } }
        guard !counted.isEmpty else { return [:] }
        let delivery = loaded.delivery
        let result = try await store.admit(userId: user.profile.id, idempotency: nil, at: clock()) { kept in
            var history = kept
            var reserved: [Interaction] = []
            var verdicts: [Value] = []
            for (placement, block) in counted {
                // Only the block's own rules: one ranked higher may have become eligible, but this one was served.
                var rejection = delivery.content.messages[block.campaign.template].flatMap { delivery.decide($0, for: user, history: history).1 }
                switch rejection {
                case .lowerPriority?, .notChecked?, .filledAnotherSlot?: rejection = nil
                default: break
                }
                if let rejection {
                    verdicts.append(.string(rejection.code))
                } else {
                    let shown = Interaction(userId: user.profile.id, campaign: block.campaign.id, channel: block.campaign.channel,
                                            kind: .impression, time: user.now, variant: block.variant, placement: placement)
                    reserved.append(shown)
                    history.append(shown)
                    verdicts.append(.null)
                }
            }
            return Admission(interactions: reserved, answer: JSON.serialize(.array(verdicts)))
        }
        guard case .decided(let text) = result, case .array(let list) = try JSON.parse(text), list.count == counted.count else {
            throw ServerError("a reservation answered something other than its verdicts")
        }
        var verdicts: [String: String?] = [:]
        for ((placement, _), verdict) in zip(counted, list) {
            verdicts[placement] = verdict.stringValue
            metrics.count("reservations", [("outcome", verdict.stringValue == nil ? "reserved" : "withdrawn")])
        }
        return verdicts
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
        pairs += block.fields
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
