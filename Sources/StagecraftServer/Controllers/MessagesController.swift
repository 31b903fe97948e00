import Content
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
        let routes = v1.group().add(middleware: KeyMiddleware(keys: api.configuration.keys, access: .secret))
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
        let input = try await JSONInput.object(&request, limit: configuration.bodyLimit)
        switch try await renderMessage(input, context, message: message, loaded: loaded, namingChannel: namingChannel) {
        case .success(let value): return json(value)
        case .failure(let problem): throw problem
        }
    }

    /// Renders one message request (an email's, or any channel's); a render that fails is a problem (422), as is a
    /// bad request. `namingChannel` adds the message's `channel` to the answer (the messages route, which serves them all).
    func renderMessage(_ input: LiquidObject, _ context: StagecraftRequestContext, message: MessageTemplate, loaded: LoadedContent,
                       path: String = "", namingChannel: Bool) async throws -> Result<Value, Problem>
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
        try f.finish()
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
                throw Problem.unprocessable("invalid_profile", "profile: \(error.message)", extra: [("field", "profile")])
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
        case (nil, let output?):
            return .success(messageValue(output, message: message, user: user, rejection: rejection, correlation: correlation,
                                         namingChannel: namingChannel, delivery: loaded.delivery, fallbacks: outcome.localeFallbacks))
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

    /// A rendered message as the routes answer it: who and what, then its channel's output (an email's subject, HTML,
    /// text and headers; a block's HTML; a tour's steps; a push notification's fields).
    func messageValue(_ output: DeliveredOutput, message: MessageTemplate, user: UserMoment, rejection: Rejection?,
                      correlation: Value?, namingChannel: Bool, delivery: DeliveryContent, fallbacks: [FallbackUse] = []) -> Value
    {
        let campaign = message.campaign
        metrics.count("renders", [("channel", campaign.channel.rawValue), ("outcome", "ok")])
        let variant: String?
        var body = outputPairs(output)
        switch output {
        case .email(let email, _):
            variant = email.variant
            body.append(("warnings", .array(email.warnings.map(\.value))))
        case .block(let block):
            variant = block.variant
            body += delivery.blockFields(for: campaign.template) + [("warnings", .array(block.report.warnings.map(\.value)))]
        case .tour:
            variant = DecisionEngine.variant(of: campaign, for: user.profile.id)
        case .fields(let rendered):
            variant = rendered.variant
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
                do {
                    let input = try JSONInput.parseObject(Array(trimmed), what: "line \(number)")
                    switch try await renderMessage(input, context, message: message, loaded: loaded, namingChannel: namingChannel) {
                    case .success(let v): out = v
                    case .failure(let p): out = object([("error", p.value)])
                    }
                } catch let p as Problem {
                    out = object([("error", p.value)])
                }
                if case .object(var o) = out {
                    o = LiquidObject([("line", .int(number))] + Array(o.pairs))
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
