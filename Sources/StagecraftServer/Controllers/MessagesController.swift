import Content
import Crypto
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// Messages rendered for a sender: `POST /v1/messages/{template}/render` (any channel) and
/// `POST /v1/emails/{template}/render`, one JSON request or an NDJSON stream; secret keys only.
struct MessagesController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: api.keyCheck(.secret))
        routes.post("emails/**") { request, context in try await email(request, context) }
        routes.post("messages/**") { request, context in try await message(request, context) }
    }

    /// The email message a path names: `welcome`, `emails/welcome`, or its campaign id.
    func emailMessage(_ name: String, _ loaded: LoadedContent) throws -> MessageTemplate {
        let emails = loaded.content.messages.values.filter { $0.campaign.channel == .email }
        if let m = emails.first(where: { $0.name == name || $0.name == "emails/" + name || $0.campaign.id == name }) { return m }
        var detail = "no email template \"\(name)\""
        if let near = Suggestion.closest(to: name, in: emails.map(\.name) + emails.map(\.campaign.id)) { detail += "; did you mean \"\(near)\"?" }
        throw Problem.notFound("unknown_template", detail, extra: [("templates", .array(emails.map(\.name).sorted().map(Value.string)))])
    }

    /// The message a path names, of any channel: its name (`push/trial-ending`) or its campaign id.
    func anyMessage(_ name: String, _ loaded: LoadedContent) throws -> MessageTemplate {
        let messages = loaded.content.messages.values
        if let m = loaded.content.messages[name] ?? messages.first(where: { $0.campaign.id == name }) { return m }
        var detail = "no message template \"\(name)\""
        if let near = Suggestion.closest(to: name, in: messages.map(\.name) + messages.map(\.campaign.id)) { detail += "; did you mean \"\(near)\"?" }
        throw Problem.notFound("unknown_template", detail, extra: [("templates", .array(messages.map(\.name).sorted().map(Value.string)))])
    }

    /// `POST /v1/messages/{template}/render`: one message of any channel (an email, a push notification, a block, a
    /// tour) rendered for a user as its channel renders it, with its eligibility now (caps, windows, triggers), as
    /// JSON; or, with `Content-Type: application/x-ndjson`, a stream of requests answered line by line.
    func message(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        try await render(request, context, route: "/v1/messages/{template}/render", namingChannel: true, find: anyMessage)
    }

    /// `POST /v1/emails/{template}/render`: one email as JSON, or with `Content-Type: application/x-ndjson` a stream
    /// of requests, one per line, answered line by line as they are rendered.
    func email(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        try await render(request, context, route: "/v1/emails/{template}/render", namingChannel: false, find: emailMessage)
    }

    /// A render route: the template its path names (`find`), then one JSON request or an NDJSON stream of them.
    private func render(_ request: Request, _ context: StagecraftRequestContext, route: String, namingChannel: Bool,
                        find: (String, LoadedContent) throws -> MessageTemplate) async throws -> Response
    {
        var request = request
        let parts = try pathSegments(context)
        guard parts.count >= 2, parts.last == "render" else {
            throw Problem.notFound("not_found", "render at \(route)")
        }
        let loaded = content.current
        let message = try find(parts.dropLast().joined(separator: "/"), loaded)
        if request.headers[.contentType]?.lowercased().hasPrefix("application/x-ndjson") == true {
            return batch(request, context, message: message, loaded: loaded, namingChannel: namingChannel)
        }
        let key = try request.headers[HTTPField.Name("Idempotency-Key")!].map { try Self.idempotencyKey($0, field: "Idempotency-Key") }
        let input = try await JSONInput.object(&request, limit: configuration.bodyLimit)
        switch try await renderMessage(input, context, message: message, loaded: loaded, namingChannel: namingChannel,
                                       idempotencyKey: key)
        {
        case .success(let answer):
            var headers: HTTPFields = [:]
            if answer.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
            return json(answer.value, headers: headers)
        case .failure(let problem): throw problem
        }
    }

    /// An idempotency key as a client sends it: 1 to 255 printable ASCII characters (a UUID, typically).
    static func idempotencyKey(_ text: String, field: String) throws -> String {
        guard (1...255).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem.unprocessable("invalid_field", "\(field) is 1 to 255 printable ASCII characters without spaces (a UUID, for instance)",
                                        extra: [("field", .string(field))])
        }
        return text
    }

    /// A rendered message's answer; `replayed` when it is the answer kept under the request's idempotency key.
    struct Answer {
        var value: Value
        var replayed = false
    }

    /// Renders one message request (an email's, or any channel's); a render that fails is a problem (422), as is a
    /// bad request. `namingChannel` adds the message's `channel` to the answer (the messages route, which serves them all).
    ///
    /// With `"send": true` (emails and push) the message is sent, not only rendered: when it may go now, the send is
    /// recorded (it counts against caps at once) in the same step as the eligibility check on the history as kept,
    /// so concurrent sends, from this instance or another, never exceed a cap. The answer says `sent` and, when not,
    /// the `reason`. An `idempotencyKey` makes a retried send get the first answer back, counting nothing again.
    func renderMessage(_ input: LiquidObject, _ context: StagecraftRequestContext, message: MessageTemplate, loaded: LoadedContent,
                       path: String = "", namingChannel: Bool, idempotencyKey: String? = nil) async throws -> Result<Answer, Problem>
    {
        var f = JSONFields(input, path: path)
        let userId = try f.id("user_id")
        let anonymousId = try f.id("anonymous_id")
        let inline = try f.object("profile")
        let extra = try f.object("data") ?? LiquidObject()
        let stage = try f.string("stage")
        let at = try f.time("at")
        let strict = try f.bool("strict") ?? false
        let locale = try f.locale("locale")
        let correlation = f.value("id")
        let send = try f.bool("send") ?? false
        try f.finish()
        let campaign = message.campaign
        var key: IdempotencyKey?
        if send {
            guard campaign.channel == .email || campaign.channel == .push else {
                throw Problem.unprocessable("invalid_field", "\"send\" is for email and push messages; a \(campaign.channel.rawValue) counts when it is shown (POST /v1/interactions)",
                                            extra: [("field", .string(path.isEmpty ? "send" : path + ".send"))])
            }
            guard inline == nil else {
                throw Problem.unprocessable("invalid_field", "a send is counted against a stored user: send user_id or anonymous_id, not an inline profile",
                                            extra: [("field", .string(path.isEmpty ? "profile" : path + ".profile"))])
            }
            // Caps count what was sent before now: a send dated otherwise would be checked against another moment's
            // history and recorded where the next check does not look.
            guard at == nil else {
                throw Problem.unprocessable("invalid_field", "a send happens now: \"at\" is for renders that send nothing",
                                            extra: [("field", .string(path.isEmpty ? "at" : path + ".at"))])
            }
            if let idempotencyKey {
                key = IdempotencyKey(key: idempotencyKey, fingerprint: Self.fingerprint(route: namingChannel ? "messages" : "emails",
                                                                                        message: message.name, input: input))
                if let kept = try await store.keptAnswer(key: idempotencyKey, at: clock()) { return .success(try replay(kept, key!)) }
            }
        }
        if let stage, !loaded.content.stageRules.stages.contains(stage) {
            throw Problem.unprocessable("invalid_field", "unknown stage \"\(stage)\"; the stages are " + loaded.content.stageRules.stages.joined(separator: ", "),
                                        extra: [("field", "stage")])
        }
        let user: UserMoment
        let history: InteractionHistory
        if let inline {
            guard userId == nil, anonymousId == nil else {
                throw Problem.unprocessable("invalid_field", "send a user_id or an inline profile, not both", extra: [("field", "profile")])
            }
            let profile: Profile
            do {
                profile = try Profile(json: .object(inline))
            } catch {
                throw Problem.inlineProfile(error)
            }
            user = UserMoment(profile: profile, now: at ?? clock(), stageRules: loaded.content.stageRules, statedStage: stage,
                              locale: locale)
            history = InteractionHistory()
        } else {
            let who = try who(userId: userId, anonymousId: anonymousId, hash: nil, grant: .secret)
            let known: Bool
            (user, history, known) = try await moment(who, loaded: loaded, now: at, stage: stage, language: RequestLanguage(explicit: locale))
            if !who.anonymous, !known {
                throw Problem.notFound("unknown_profile", "no profile \"\(who.id)\"; store it first (PUT /v1/profiles/{id}) or send it inline as \"profile\"")
            }
        }
        // Rendered whether or not the message is eligible now: the answer says which (`eligible`, `rejection`).
        let options = DeliveryOptions(renderRejected: true, strict: strict, extra: Array(extra.pairs))
        let outcome = try await rendering(context) { loaded.delivery.deliver(.message(message), to: user, history: history, options: options)[0] }
        let rejection = outcome.rejection
        switch (outcome.failures.first, outcome.output) {
        case (nil, let output?) where send:
            // Decided again on the history as kept, with the send recorded in the same step when it may go.
            let delivery = loaded.delivery
            let result = try await store.admit(userId: user.profile.id, idempotency: key, at: clock()) { history in
                let (_, rejection) = delivery.decide(message, for: user, history: history)
                let value = messageValue(output, message: message, user: user, rejection: rejection, correlation: correlation,
                                         namingChannel: namingChannel, delivery: delivery, fallbacks: outcome.localeFallbacks,
                                         sent: rejection == nil)
                let send = Interaction(userId: user.profile.id, campaign: campaign.id, channel: campaign.channel, kind: .impression,
                                       time: user.now, variant: Self.variant(of: output, campaign: campaign, user: user))
                // A holdout user is exposed when the message would have gone to them.
                let heldOut = rejection == .holdout ? [Exposure(campaign: campaign.id, userId: user.profile.id, arm: .holdout, time: user.now)] : []
                return Admission(interactions: rejection == nil ? [send] : [], exposures: heldOut, answer: JSON.serialize(value))
            }
            switch result {
            case .decided(let text):
                let value = try JSON.parse(text)
                metrics.count("sends", [("channel", campaign.channel.rawValue),
                                        ("outcome", value.objectValue?["sent"].map(JSON.serialize) == "true" ? "sent" : "not_sent")])
                return .success(Answer(value: value))
            case .replayed(let kept):
                return .success(try replay(kept, key!))
            }
        case (nil, let output?):
            return .success(Answer(value: messageValue(output, message: message, user: user, rejection: rejection, correlation: correlation,
                                                       namingChannel: namingChannel, delivery: loaded.delivery,
                                                       fallbacks: outcome.localeFallbacks)))
        case (let failure?, _):
            record(failure, what: "\(message.campaign.channel.rawValue) not rendered", target: message.name)
            var extra = failureMembers(failure)
            if let correlation { extra.append(("id", correlation)) }
            if failure.liquidError == .cancelled { throw CancellationError() }
            let code = failure.liquidError == .timeout ? "render_timeout" : "render_failed"
            return .failure(Problem.unprocessable(code, failure.message, extra: extra))
        default:
            // The pipeline renders an email or says why not; anything else is a fault here, logged by the problem middleware.
            throw ServerError("no output and no failure for \(message.name)")
        }
    }

    /// The kept answer of an idempotency key, when the request is the one that got it.
    func replay(_ kept: KeptAnswer, _ key: IdempotencyKey) throws -> Answer {
        guard kept.fingerprint == key.fingerprint else {
            throw Problem.unprocessable("idempotency_key_reused",
                                        "the Idempotency-Key \(key.key) was used in the last 24 hours for another request; a new request needs a new key",
                                        extra: [("field", "Idempotency-Key")])
        }
        metrics.count("idempotent_replays")
        return Answer(value: try JSON.parse(kept.answer), replayed: true)
    }

    /// What identifies a request under its idempotency key: the route, the template and the body as parsed, its
    /// keys sorted (so a retry that spaces or orders its JSON differently is the same request).
    static func fingerprint(route: String, message: String, input: LiquidObject) -> String {
        func sorted(_ v: Value) -> Value {
            switch v {
            case .object(let o): return .object(LiquidObject(o.pairs.sorted { $0.0 < $1.0 }.map { ($0.0, sorted($0.1)) }))
            case .array(let a): return .array(a.map(sorted))
            default: return v
            }
        }
        let digest = SHA256.hash(data: Array((route + "\n" + message + "\n" + JSON.serialize(sorted(.object(input)))).utf8))
        return digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The variant a rendered message went out as.
    static func variant(of output: DeliveredOutput, campaign: Campaign, user: UserMoment) -> String? {
        switch output {
        case .email(let email, _): return email.variant
        case .block(let block): return block.variant
        case .tour: return DecisionEngine.variant(of: campaign, for: user.profile.id)
        case .fields(let rendered): return rendered.variant
        }
    }

    /// A rendered message as the routes answer it: who and what, then its channel's output (an email's subject, HTML,
    /// text and headers; a block's HTML; a tour's steps; a push notification's fields). `sent` is given for a send:
    /// whether it went (with the `reason` when not).
    func messageValue(_ output: DeliveredOutput, message: MessageTemplate, user: UserMoment, rejection: Rejection?,
                      correlation: Value?, namingChannel: Bool, delivery: DeliveryContent, fallbacks: [FallbackUse] = [],
                      sent: Bool? = nil) -> Value
    {
        let campaign = message.campaign
        metrics.count("renders", [("channel", campaign.channel.rawValue), ("outcome", "ok")])
        let variant = Self.variant(of: output, campaign: campaign, user: user)
        var body = outputPairs(output)
        switch output {
        case .email(let email, _):
            body.append(("warnings", .array(email.warnings.map(\.value))))
        case .block(let block):
            body += block.fields + [("warnings", .array(block.report.warnings.map(\.value)))]
        case .tour:
            break
        case .fields(let rendered):
            body.append(("warnings", .array(rendered.diagnostics.map(\.value))))
        }
        var pairs: [(String, Value)] = []
        if let correlation { pairs.append(("id", correlation)) }
        pairs += [("template", .string(message.name)), ("campaign", .string(campaign.id))]
        if namingChannel { pairs.append(("channel", .string(campaign.channel.rawValue))) }
        pairs += [
            ("user_id", .string(user.profile.id)),
            ("variant", variant.map(Value.string) ?? .null), ("stage", .string(user.stage.stage)),
            ("locale", .string(delivery.locale(for: user).identifier)),
            ("locale_wanted", user.locale.map { .string($0.identifier) } ?? .null),
            ("locale_fallbacks", .array(fallbacks.map(fallbackValue))), ("eligible", .bool(rejection == nil)),
            ("rejection", rejection.map { object([("reason", .string($0.code)), ("detail", .string($0.description))]) } ?? .null),
        ]
        if let sent { pairs += [("sent", .bool(sent)), ("reason", sent ? .null : rejection.map { .string($0.code) } ?? .null)] }
        return object(pairs + body)
    }


    /// NDJSON in, NDJSON out: each input line is one render request; each output line carries `line` (its number)
    /// and either the email or an `error` problem. A bad line does not stop the stream; a line over the body limit,
    /// or a line past the stream's limit of requests, does (with an error line saying so).
    func batch(_ request: Request, _ context: StagecraftRequestContext, message: MessageTemplate, loaded: LoadedContent,
               namingChannel: Bool) -> Response
    {
        let limit = configuration.bodyLimit
        let maxLines = configuration.maxStreamLines
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
            var pending: [UInt8] = []
            var start = 0
            /// Where the search for the next line break goes on from: each byte is looked at once.
            var scanned = 0
            var number = 0
            func stop(_ problem: Problem) async throws {
                try await writer.write(ByteBuffer(string: JSON.serialize(object([("line", .int(number + 1)), ("error", problem.value)])) + "\n"))
                try await writer.finish(nil)
            }
            func handle(_ bytes: ArraySlice<UInt8>) async throws {
                number += 1
                var trimmed = bytes
                while let last = trimmed.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") { trimmed = trimmed.dropLast() }
                guard !trimmed.isEmpty else { return }
                var out: Value
                var replayed = false
                do {
                    var input = try JSONInput.parseObject(Array(trimmed), what: "line \(number)")
                    // A line's own idempotency key (a stream has no header per request).
                    var key: String?
                    if let raw = input["idempotency_key"] {
                        guard let text = raw.stringValue else {
                            throw Problem.unprocessable("invalid_field", "idempotency_key must be a string", extra: [("field", "idempotency_key")])
                        }
                        key = try Self.idempotencyKey(text, field: "idempotency_key")
                        input["idempotency_key"] = nil
                    }
                    switch try await renderMessage(input, context, message: message, loaded: loaded, namingChannel: namingChannel,
                                                   idempotencyKey: key)
                    {
                    case .success(let answer):
                        out = answer.value
                        replayed = answer.replayed
                    case .failure(let p): out = object([("error", p.value)])
                    }
                } catch let p as Problem {
                    out = object([("error", p.value)])
                } catch let e as StoreUnavailable {
                    out = object([("error", Problem.unavailable(e).value)])
                }
                if case .object(var o) = out {
                    o = LiquidObject([("line", .int(number))] + (replayed ? [("replayed", .bool(true))] : []) + Array(o.pairs))
                    out = .object(o)
                }
                try await writer.write(ByteBuffer(string: JSON.serialize(out) + "\n"))
            }
            let tooMany = Problem(.contentTooLarge, "too_many_lines",
                                  "a stream carries at most \(maxLines) render requests; the stream stops here, send the rest in another")
            for try await buffer in request.body {
                pending.append(contentsOf: buffer.readableBytesView)
                while let newline = pending[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                    guard number < maxLines else { return try await stop(tooMany) }
                    try await handle(pending[start..<newline])
                    start = newline + 1
                }
                scanned = pending.count
                if pending.count - start > limit {
                    return try await stop(Problem(.contentTooLarge, "line_too_large", "line \(number + 1) is over \(limit) bytes; the stream stops here"))
                }
                if start > 64 << 10 {
                    pending.removeFirst(start)
                    scanned -= start
                    start = 0
                }
            }
            if start < pending.count {
                guard number < maxLines else { return try await stop(tooMany) }
                try await handle(pending[start...])
            }
            try await writer.finish(nil)
        })
    }
}
