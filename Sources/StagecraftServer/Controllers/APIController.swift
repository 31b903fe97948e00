import Content
import Delivery
import Diagnostics
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Localization
import Logging
import Personalization
import Storage

/// Who a request is about: a known user, or an anonymous visitor (kept apart: `anon:` + their id).
struct Who {
    let id: String
    let anonymous: Bool

    /// The id the store keeps them under.
    var storeId: String { anonymous ? "anon:" + id : id }
}

/// One resource's routes and handlers. Each controller registers its routes, behind the key check they need
/// (``KeyMiddleware``), and shares the server's collaborators and the helpers below: reading paths, who a request is
/// about, the user now, answers.
protocol APIController: Sendable {
    var api: APIServer { get }
}

extension APIController {
    var configuration: ServerConfiguration { api.configuration }
    var content: ContentState { api.content }
    var store: any Store { api.store }
    var metrics: ServerMetrics { api.metrics }
    var logger: Logger { api.logger }
    func clock() -> Date { api.clock() }

    /// Runs a request's decide-render-check step on the render threads (see ``APIServer/rendering(_:on:_:)``).
    func rendering<T: Sendable>(_ context: StagecraftRequestContext, on pool: RenderPool = .shared,
                                _ work: @escaping @Sendable () throws -> T) async throws -> T
    {
        try await api.rendering(context, on: pool, work)
    }

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
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let text = raw.removingPercentEncoding else {
            throw Problem.unprocessable("invalid_path", "the \(name) in the path is not valid percent-encoded UTF-8: \(raw)",
                                        extra: [("field", .string(name))])
        }
        return text
    }

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
        // Most ids are printable ASCII, told apart by their bytes alone; the rest by each scalar's category.
        let printableASCII = id.utf8.count <= 256 && id.utf8.allSatisfy { (0x20..<0x7F).contains($0) }
        guard !id.isEmpty, printableASCII || id.unicodeScalars.count <= 256
                && !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.unprocessable("invalid_field", "\(field) must be 1 to 256 characters without control characters",
                                        extra: [("field", .string(field))])
        }
    }

    /// Who, the template's `context` and the language asked for, from a GET's query string (parsed once): the
    /// query parameters besides the reserved ones become the context (page URL...); `locale` (the page's language)
    /// is checked, and kept in the context in its canonical form.
    func visitor(_ request: Request, grant: Grant) throws -> (who: Who, context: LiquidObject, locale: LocaleTag?) {
        let q = request.uri.queryParameters
        let who = try who(userId: q["user_id"].map(String.init), anonymousId: q["anonymous_id"].map(String.init),
                          hash: q["user_hash"].map(String.init), grant: grant)
        let locale = try q["locale"].map { try Problem.locale(String($0), field: "locale") }
        var context = LiquidObject()
        for (k, v) in q {
            switch k {
            case "user_id", "anonymous_id", "user_hash", "key": continue
            default: context[String(k)] = .string(String(v))
            }
        }
        if let locale { context["locale"] = .string(locale.identifier) }
        return (who, context, locale)
    }

    /// The id the store keeps `who` under: a known user's own; an anonymous visitor's, or the user it was merged
    /// into (`POST /v1/identify`), so a visitor who signed in is one person from then on.
    func storeId(_ who: Who) async throws -> String {
        guard who.anonymous else { return who.storeId }
        return try await store.linkedUser(anonymous: who.storeId) ?? who.storeId
    }

    /// The user now: their stored profile (or an empty one), their history, their facts and stage; `known` says
    /// whether the store had anything on them.
    func moment(_ who: Who, loaded: LoadedContent, context: LiquidObject = LiquidObject(), now: Date? = nil,
                stage: String? = nil, language: RequestLanguage = RequestLanguage()) async throws -> (UserMoment, InteractionHistory, known: Bool)
    {
        let id = try await storeId(who)
        let (stored, history) = try await store.snapshot(userId: id, eventLimit: configuration.eventLimit)
        let profile = stored ?? Profile(id: id)
        let moment = UserMoment(profile: profile, now: now ?? clock(), stageRules: loaded.content.stageRules, statedStage: stage,
                                context: context, locale: language.locale(for: profile, in: loaded.content.translations))
        // The stage flow counts users the store knows, in the stage the rules give them now.
        if stored != nil, now == nil, stage == nil { observe([], of: moment, countsStage: true) }
        return (moment, history, stored != nil)
    }

    /// Counts and logs a message that was not sent, with its reason.
    func record(_ f: DeliveryFailure, what: String, target: String) {
        let outcome = f.liquidError == .timeout ? "timeout" : f.liquidError == .cancelled ? "cancelled" : f.reason.rawValue
        metrics.count("renders", [("channel", f.channel.rawValue), ("outcome", outcome)])
        if f.reason == .invalidHTML { metrics.count("validation_failures", [("channel", f.channel.rawValue)]) }
        logger.warning("\(what)", metadata: ["target": "\(target)", "campaign": "\(f.campaign)", "reason": "\(f.reason.rawValue)",
                                            "detail": "\(f.message)"])
    }

    func failureMembers(_ f: DeliveryFailure) -> [(String, Value)] {
        var extra: [(String, Value)] = [("reason", .string(f.reason.rawValue)), ("campaign", .string(f.campaign)),
                                        ("template", .string(f.template))]
        // Where it failed, first (a template file, else the output), then every problem behind it.
        let first = f.diagnostics.errors.first ?? f.diagnostics[0]
        extra += [("file", .string(first.file ?? "output")), ("line", .int(first.line)), ("column", .int(first.column)),
                  ("diagnostics", .array(f.diagnostics.map(\.value)))]
        return extra
    }

    /// A translation key served from a fallback locale, as answers list it.
    func fallbackValue(_ use: FallbackUse) -> Value {
        object([("key", .string(use.key)), ("wanted", .string(use.wanted.identifier)), ("used", .string(use.used.identifier))])
    }

    /// An email's extra headers as a JSON object, in order.
    func headersValue(_ email: RenderedEmail) -> Value {
        .object(LiquidObject(email.headers.map { ($0.name, .string($0.value)) }))
    }

    /// A rendered message's output in its channel's form, as the messages route and the preview both give it: an
    /// email's subject, preheader, HTML, text and headers; a block's HTML; a tour's steps; a push's fields.
    func outputPairs(_ output: DeliveredOutput) -> [(String, Value)] {
        switch output {
        case .email(let email, _):
            return [("subject", .string(email.subject)), ("preheader", email.preheader.map(Value.string) ?? .null),
                    ("html", .string(email.html)), ("text", .string(email.text)), ("headers", headersValue(email))]
        case .block(let block):
            return [("html", .string(block.html))]
        case .tour(let steps):
            return [("steps", .array(steps.map { s in
                object([("target", .string(s.target)), ("position", .string(s.position.rawValue)), ("html", .string(s.html))])
            }))]
        case .fields(let rendered):
            return [("fields", object(rendered.fields.map { ($0.name, Value.string($0.value)) }))]
        }
    }
}

/// The language a request asks for: its own `locale` (a parameter or field: the page's language), and the
/// browser's `Accept-Language`.
struct RequestLanguage {
    var explicit: LocaleTag?
    var acceptLanguage: String?

    init(explicit: LocaleTag? = nil, request: Request? = nil) {
        self.explicit = explicit
        acceptLanguage = request?.headers[.acceptLanguage]
    }

    /// The request's `locale`, else the profile's, else the first of the browser's languages the content speaks.
    func locale(for profile: Profile, in translations: Translations) -> LocaleTag? {
        explicit ?? profile.locale ?? acceptLanguage.flatMap { translations.best(of: AcceptLanguage.parse($0)) }
    }
}
