import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// What users did: `POST /v1/events` (batches, from servers) and `POST /v1/interactions` (impressions, clicks,
/// dismissals, survey answers, from browsers too).
struct EventsController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        v1.group().add(middleware: api.keyCheck(.secret))
            .post("events") { request, context in try await events(request, context) }
        v1.group().add(middleware: api.keyCheck(.publishable))
            .post("interactions") { request, context in try await interaction(request, context) }
    }

    /// A batch of events, all or none: any bad event refuses the batch, naming it.
    func events(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        var request = request
        var f = JSONFields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let events = try f.array("events")
        try f.finish()
        guard let list = events else { throw f.missing("events", "a list of events") }
        guard list.count <= configuration.maxBatch else {
            throw Problem(.contentTooLarge, "batch_too_large",
                          "\(list.count) events in one batch; send at most \(configuration.maxBatch) per request",
                          extra: [("limit", .int(configuration.maxBatch))])
        }
        let now = clock()
        var batch: [UserEvent] = []
        batch.reserveCapacity(list.count)
        var resolved: [String: String] = [:]
        for (i, raw) in list.enumerated() {
            guard case .object(let o) = raw else {
                throw Problem.unprocessable("invalid_field", "events[\(i)] must be an object", extra: [("field", .string("events[\(i)]"))])
            }
            var e = JSONFields(o, path: "events[\(i)]")
            let who = try who(userId: try e.id("user_id"), anonymousId: try e.id("anonymous_id"), hash: nil, grant: .secret)
            guard let name = try e.string("name") else { throw e.missing("name", "the event's name, such as cart_abandoned") }
            guard name.utf8.count <= 128 else {
                throw Problem.unprocessable("invalid_field", "events[\(i)].name is longer than 128 bytes", extra: [("field", .string("events[\(i)].name"))])
            }
            let time = try e.time("time", notAfter: now.addingTimeInterval(JSONFields.clockSkew)) ?? now
            let properties = try e.object("properties") ?? LiquidObject()
            let messageId = try e.string("message_id")
            try e.finish()
            // A visitor's link is looked up once per batch.
            let id: String
            if let known = resolved[who.storeId] {
                id = known
            } else {
                id = try await storeId(who)
                resolved[who.storeId] = id
            }
            batch.append(UserEvent(userId: id, event: Event(name: name, time: time, properties: properties), messageId: messageId))
        }
        let goals = content.current.goals
        let added = try await store.append(batch, attributing: goals)
        if added > 0, batch.contains(where: { goals.counts($0.event.name) }) { api.attributor.soon(api) }
        metrics.count("events_accepted", by: added)
        return json(object([("accepted", .int(added)), ("duplicates", .int(batch.count - added))]))
    }

    /// An impression, click, dismissal or survey answer; an answer is also kept as a `survey_answered` event.
    func interaction(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        var request = request
        let grant = context.grant
        var f = JSONFields(try await JSONInput.object(&request, limit: min(configuration.bodyLimit, 64 << 10)))
        let who = try who(userId: try f.id("user_id"), anonymousId: try f.id("anonymous_id"), hash: try f.string("user_hash"), grant: grant)
        guard let campaignId = try f.string("campaign") else { throw f.missing("campaign", "the campaign's id") }
        guard let kindName = try f.string("kind") else { throw f.missing("kind", "impression, click, dismiss or answer") }
        guard let kind = Interaction.Kind(rawValue: kindName) else {
            throw Problem.unprocessable("invalid_field", "\"kind\" is one of impression, click, dismiss, answer; not \"\(kindName)\"",
                                        extra: [("field", "kind")])
        }
        let placement = try f.string("placement", maxBytes: 256)
        let variant = try f.string("variant", maxBytes: 256)
        // Browsers cannot choose the time (it would let a page wind caps back); servers may, up to a day past now.
        let time = try f.time("time", notAfter: clock().addingTimeInterval(JSONFields.clockSkew))
        let answer = f.value("answer")
        try f.finish()
        let loaded = content.current
        guard let campaign = loaded.content.campaigns.first(where: { $0.id == campaignId }) else {
            throw Problem.notFound("unknown_campaign", "no campaign \"\(campaignId)\" in the content")
        }
        if kind == .answer {
            guard let answer else { throw Problem.unprocessable("missing_field", "an answer needs \"answer\"", extra: [("field", "answer")]) }
            switch answer {
            case .string(let s) where !s.isEmpty && s.utf8.count <= 2000: break
            case .int, .double: break
            default:
                throw Problem.unprocessable("invalid_field", "\"answer\" must be a number or a string of up to 2000 bytes",
                                            extra: [("field", "answer")])
            }
            if let survey = loaded.delivery.survey(for: campaign.template), !survey.accepts(answer) {
                throw Problem.unprocessable("invalid_field", "\"answer\" to \(campaign.id) is one of "
                    + survey.values.joined(separator: ", "), extra: [("field", "answer")])
            }
        } else if answer != nil {
            throw Problem.unprocessable("invalid_field", "\"answer\" goes with kind answer only", extra: [("field", "answer")])
        }
        let now = clock()
        let at = grant == .publishable ? now : (time ?? now)
        let id = try await storeId(who)
        // A campaign's variant is the user's by its split (none when it has no variants), whatever a page reports: an
        // impression counts for the arm the user is in (their exposure), and a page cannot move them to another.
        let assigned = DecisionEngine.variant(of: campaign, for: id)
        if let variant, variant != assigned { metrics.count("interaction_variant_corrected") }
        let record = Interaction(userId: id, campaign: campaign.id, channel: campaign.channel, kind: kind, time: at,
                                 variant: assigned, placement: placement,
                                 data: answer.map { object([("answer", $0)]) })
        var caused: [UserEvent] = []
        if kind == .answer, let answer {
            var properties = LiquidObject([("campaign", .string(campaign.id)), ("answer", answer)])
            if let placement { properties["placement"] = .string(placement) }
            if let category = loaded.delivery.survey(for: campaign.template)?.npsCategory(answer) {
                properties["nps_category"] = .string(category)
            }
            caused.append(UserEvent(userId: id, event: Event(name: "survey_answered", time: at, properties: properties)))
        }
        try await store.record(record, events: caused, attributing: loaded.goals)
        if caused.contains(where: { loaded.goals.counts($0.event.name) }) { api.attributor.soon(api) }
        metrics.count("interactions", [("kind", kind.rawValue)])
        return json(object([("recorded", .string(kind.rawValue)), ("campaign", .string(campaign.id)),
                            ("time", .string(Timestamp.format(at)))]), status: .created)
    }
}
