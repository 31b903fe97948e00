import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// Who a request is about: a known user, or an anonymous visitor (kept apart: `anon:` + their id).
struct Who {
    let id: String
    let anonymous: Bool

    /// The id the store keeps them under.
    var storeId: String { anonymous ? "anon:" + id : id }
}

extension APIServer {
    func addRoutes(to router: Router<StagecraftRequestContext>) {
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in try await ready() }
        router.get("/metrics") { request, _ in
            _ = try authorize(request, publishable: false)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPI.document)))
        }

        let v1 = router.group("v1")
        v1.get("placements/:placement") { request, context in try await placement(request, context) }
        v1.post("decide") { request, context in try await decide(request, context) }
        v1.get("tours/:tour") { request, context in try await tour(request, context) }
        v1.post("emails/**") { request, context in try await email(request, context) }
        v1.post("messages/**") { request, context in try await message(request, context) }
        v1.put("profiles/:id") { request, context in try await saveProfile(request, context, merge: false) }
        v1.patch("profiles/:id") { request, context in try await saveProfile(request, context, merge: true) }
        v1.get("profiles/:id") { request, context in try await getProfile(request, context) }
        v1.delete("profiles/:id") { request, context in try await deleteProfile(request, context) }
        v1.post("events") { request, _ in try await events(request) }
        v1.post("interactions") { request, _ in try await interaction(request) }
        v1.post("preview") { request, context in try await preview(request, context) }
        v1.get("content") { request, _ in try contentIndex(request) }
        v1.get("content/status") { request, _ in try contentStatus(request) }
        v1.get("content/files/**") { request, context in try contentFile(request, context) }
        v1.post("content/reload") { request, _ in
            _ = try authorize(request, publishable: false)
            try await content.reloadOffTheEventLoops()
            return try contentStatus(request)
        }
    }

    // MARK: Path parameters

    /// A path parameter as the client meant it: the router hands segments over still percent-encoded, so
    /// `/v1/profiles/a%20b` would otherwise be stored under the id `a%20b` while events name `a b`.
    func pathParameter(_ context: StagecraftRequestContext, _ name: String) throws -> String {
        try decodedSegment(context.parameters.get(name) ?? "", name)
    }

    /// The catch-all path segments (`**`), each decoded.
    func pathSegments(_ context: StagecraftRequestContext) throws -> [String] {
        try context.parameters.getCatchAll().map { try decodedSegment(String($0), "path") }
    }

    private func decodedSegment(_ raw: String, _ name: String) throws -> String {
        guard raw.contains("%") else { return raw }
        guard let text = raw.removingPercentEncoding else {
            throw Problem.unprocessable("invalid_path", "the \(name) in the path is not valid percent-encoded UTF-8: \(raw)",
                                        extra: [("field", .string(name))])
        }
        return text
    }

    // MARK: Answers

    func json(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: JSON.serializeBytes(value))))
    }

    func object(_ pairs: [(String, Value)]) -> Value { .object(LiquidObject(pairs)) }

    func noContent(reason: String?) -> Response {
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if let reason { headers[HTTPField.Name("X-Stagecraft-Reason")!] = reason }
        return Response(status: .noContent, headers: headers)
    }

    // MARK: Access

    /// The grant for the request, or the problem that refuses it.
    @discardableResult
    func authorize(_ request: Request, publishable allowed: Bool) throws -> Grant {
        let grant = configuration.keys.grant(for: request)
        switch grant {
        case .open, .secret:
            return grant
        case .publishable:
            guard allowed else {
                throw Problem.forbidden("secret_key_required", "this endpoint takes a secret key; publishable keys are for blocks, decisions, tours and interactions")
            }
            if let origin = request.headers[.origin], !configuration.keys.allows(origin: origin, host: request.head.authority) {
                throw Problem.forbidden("origin_not_allowed", "the origin \(origin) is not in the allowed origins (STAGECRAFT_ALLOWED_ORIGINS)")
            }
            return grant
        case .none:
            throw Problem.unauthorized("send a key: Authorization: Bearer <key>")
        case .misplacedSecret:
            var p = Problem(.unauthorized, "secret_key_misplaced",
                            "a secret key goes in the Authorization header only (Authorization: Bearer <key>), never in ?key= or "
                                + "X-Stagecraft-Key; this one has been sent where logs and pages keep it: rotate it")
            p.headers[.wwwAuthenticate] = "Bearer realm=\"stagecraft\""
            throw p
        case .invalid:
            var p = Problem(.unauthorized, "invalid_key", "the key is not one of this server's keys")
            p.headers[.wwwAuthenticate] = "Bearer realm=\"stagecraft\", error=\"invalid_token\""
            throw p
        }
    }

    /// Who the call is about, from `user_id` or `anonymous_id` (and `user_hash` for browsers naming a user).
    func who(userId: String?, anonymousId: String?, hash: String?, grant: Grant) throws -> Who {
        switch (userId, anonymousId) {
        case (nil, nil):
            throw Problem.unprocessable("missing_field", "say who the user is: user_id, or anonymous_id for a visitor not signed in",
                                        extra: [("field", "user_id")])
        case (.some, .some):
            throw Problem.unprocessable("invalid_field", "send user_id or anonymous_id, not both", extra: [("field", "anonymous_id")])
        case (.some(let id), nil):
            try checkId(id, "user_id")
            if grant == .publishable {
                guard let hash else {
                    throw Problem.forbidden("identity_unverified", "a browser naming a user must send user_hash, the HMAC-SHA256 of the id made with the secret key on your server")
                }
                guard configuration.keys.verifies(userId: id, hash: hash) else {
                    throw Problem.forbidden("identity_unverified", "user_hash does not match user_id")
                }
            }
            return Who(id: id, anonymous: false)
        case (nil, .some(let id)):
            try checkId(id, "anonymous_id")
            return Who(id: id, anonymous: true)
        }
    }

    func checkId(_ id: String, _ field: String) throws {
        guard !id.isEmpty, id.utf8.count <= 256, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.unprocessable("invalid_field", "\(field) must be 1 to 256 bytes without control characters",
                                        extra: [("field", .string(field))])
        }
    }

    /// Who, and the template's `context`, from a GET's query string (parsed once): the query parameters besides
    /// the reserved ones become the context (page URL, locale...).
    func visitor(_ request: Request, grant: Grant) throws -> (who: Who, context: LiquidObject) {
        let q = request.uri.queryParameters
        let who = try who(userId: q["user_id"].map(String.init), anonymousId: q["anonymous_id"].map(String.init),
                          hash: q["user_hash"].map(String.init), grant: grant)
        var context = LiquidObject()
        for (k, v) in q where !["user_id", "anonymous_id", "user_hash", "key"].contains(String(k)) {
            context[String(k)] = .string(String(v))
        }
        return (who, context)
    }

    /// The user now: their stored profile (or an empty one), their history, their facts and stage; `known` says
    /// whether the store had anything on them.
    func moment(_ who: Who, loaded: LoadedContent, context: LiquidObject = LiquidObject(), now: Date? = nil,
                stage: String? = nil) async throws -> (UserMoment, InteractionHistory, known: Bool)
    {
        let (stored, history) = try await store.snapshot(userId: who.storeId, eventLimit: configuration.eventLimit)
        let profile = stored ?? Profile(id: who.storeId)
        let moment = UserMoment(profile: profile, now: now ?? clock(), stageRules: loaded.content.stageRules, statedStage: stage,
                                context: context)
        return (moment, history, stored != nil)
    }

    // MARK: Blocks

    func blockValue(_ block: RenderedBlock, placement: String, stage: String, delivery: DeliveryContent) -> Value {
        var pairs: [(String, Value)] = [
            ("placement", .string(placement)), ("campaign", .string(block.campaign.id)),
            ("variant", block.variant.map(Value.string) ?? .null), ("channel", .string(block.campaign.channel.rawValue)),
            ("stage", .string(stage)), ("source", .string(block.source.rawValue)), ("html", .string(block.html)),
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

    /// Counts and logs a message that was not sent, with its reason.
    func record(_ f: DeliveryFailure, what: String, target: String) {
        let outcome = f.liquidError == .timeout ? "timeout" : f.liquidError == .cancelled ? "cancelled" : f.reason.rawValue
        metrics.count("renders", [("channel", f.channel.rawValue), ("outcome", outcome)])
        if f.reason == .invalidHTML { metrics.count("validation_failures", [("channel", f.channel.rawValue)]) }
        logger.warning("\(what)", metadata: ["target": "\(target)", "campaign": "\(f.campaign)", "reason": "\(f.reason.rawValue)",
                                            "detail": "\(f.message)"])
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
        let grant = try authorize(request, publishable: true)
        let name = try pathParameter(context, "placement")
        let loaded = content.current
        try knownPlacement(name, loaded)
        let (who, page) = try visitor(request, grant: grant)
        let (user, history, _) = try await moment(who, loaded: loaded, context: page)
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
        return json(blockValue(block, placement: name, stage: user.stage.stage, delivery: loaded.delivery))
    }

    func decide(_ request: Request, _ requestContext: StagecraftRequestContext) async throws -> Response {
        var request = request
        let grant = try authorize(request, publishable: true)
        var f = Fields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let who = try who(userId: try f.id("user_id"), anonymousId: try f.id("anonymous_id"), hash: try f.string("user_hash"), grant: grant)
        let placements = try f.array("placements")
        let context = try f.object("context") ?? LiquidObject()
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
        let (user, history, _) = try await moment(who, loaded: loaded, context: context)
        let outcomes = try await rendering(requestContext) { [names] in loaded.delivery.deliver(.page(names), to: user, history: history) }
        var blocks = LiquidObject()
        for outcome in outcomes {
            blocks[outcome.target] = account(outcome).map {
                blockValue($0, placement: outcome.target, stage: user.stage.stage, delivery: loaded.delivery)
            } ?? .null
        }
        return json(object([("stage", .string(user.stage.stage)), ("blocks", .object(blocks))]))
    }

    func tour(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let grant = try authorize(request, publishable: true)
        let name = try pathParameter(context, "tour")
        let loaded = content.current
        let tours = loaded.content.messages.values.filter { $0.campaign.channel == .tour }
        guard let message = tours.first(where: { $0.campaign.id == name || $0.name == name || $0.name == "tours/" + name }) else {
            throw Problem.notFound("unknown_tour", "no tour \"\(name)\"",
                                   extra: [("tours", .array(tours.map { .string($0.campaign.id) }.sorted { $0.description < $1.description }))])
        }
        let (who, page) = try visitor(request, grant: grant)
        let (user, history, _) = try await moment(who, loaded: loaded, context: page)
        let outcome = try await rendering(context) { loaded.delivery.deliver(.message(message), to: user, history: history)[0] }
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
        return json(object([
            ("tour", .string(message.campaign.id)), ("campaign", .string(message.campaign.id)),
            ("variant", DecisionEngine.variant(of: message.campaign, for: user.profile.id).map(Value.string) ?? .null),
            ("stage", .string(user.stage.stage)),
            ("steps", .array(steps.enumerated().map { i, s in
                object([("number", .int(i + 1)), ("target", .string(s.target)), ("position", .string(s.position.rawValue)),
                        ("html", .string(s.html))])
            })),
            ("ttl", .int(configuration.blockTTL)),
        ]))
    }

    // MARK: Readiness

    func ready() async throws -> Response {
        do {
            try await store.ping()
        } catch {
            throw Problem(.serviceUnavailable, "store_unavailable", "the database does not answer: \(error)")
        }
        let status = content.status
        return json(object([("status", "ready"), ("content_generation", .int(status.generation)),
                            ("content_loaded_at", .string(Timestamp.format(status.loadedAt)))]))
    }
}
