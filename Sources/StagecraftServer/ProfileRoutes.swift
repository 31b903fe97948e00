import Foundation
import Hummingbird
import Liquid
import Personalization
import Storage

extension APIServer {
    func profileId(_ context: StagecraftRequestContext) throws -> String {
        let id = try pathParameter(context, "id")
        try checkId(id, "the profile id")
        return id
    }

    func profileValue(_ record: ProfileRecord, stage: String?) -> Value {
        var pairs: [(String, Value)] = [
            ("id", .string(record.id)), ("traits", .object(record.traits)),
            ("time_zone", record.timeZone.map(Value.string) ?? .null),
            ("created_at", .string(Timestamp.format(record.createdAt))), ("updated_at", .string(Timestamp.format(record.updatedAt))),
        ]
        if let stage { pairs.append(("stage", .string(stage))) }
        return object(pairs)
    }

    /// PUT replaces the traits (and zone); PATCH merges the traits as a JSON merge patch (RFC 7396). Both create a
    /// missing profile (201).
    func saveProfile(_ request: Request, _ context: StagecraftRequestContext, merge: Bool) async throws -> Response {
        var request = request
        try authorize(request, publishable: false)
        let id = try profileId(context)
        var f = Fields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let traits = try f.object("traits")
        let zone = try f.timeZone("time_zone")
        try f.finish()
        guard traits != nil || merge else { throw f.missing("traits", "an object; send {} for none") }
        let update: TraitsUpdate = merge ? .merge(traits ?? LiquidObject()) : .replace(traits ?? LiquidObject())
        let (record, created) = try await store.saveProfile(id: id, traits: update, timeZone: zone, at: clock())
        return json(profileValue(record, stage: nil), status: created ? .created : .ok,
                    headers: created ? [.location: "/v1/profiles/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id)"] : [:])
    }

    func getProfile(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        try authorize(request, publishable: false)
        let id = try profileId(context)
        guard let record = try await store.profileRecord(id: id) else {
            throw Problem.notFound("unknown_profile", "no profile \"\(id)\"")
        }
        let loaded = content.current
        let profile = try await store.profile(id: id, eventLimit: configuration.eventLimit) ?? Profile(id: id)
        let moment = UserMoment(profile: profile, now: clock(), stageRules: loaded.content.stageRules)
        return json(profileValue(record, stage: moment.stage.stage))
    }

    /// Removes the profile with its events and ledger.
    func deleteProfile(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        try authorize(request, publishable: false)
        let id = try profileId(context)
        guard try await store.deleteProfile(id: id) else { throw Problem.notFound("unknown_profile", "no profile \"\(id)\"") }
        return Response(status: .noContent)
    }

    /// A batch of events, all or none: any bad event refuses the batch, naming it.
    func events(_ request: Request) async throws -> Response {
        var request = request
        try authorize(request, publishable: false)
        var f = Fields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
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
        for (i, raw) in list.enumerated() {
            guard case .object(let o) = raw else {
                throw Problem.unprocessable("invalid_field", "events[\(i)] must be an object", extra: [("field", .string("events[\(i)]"))])
            }
            var e = Fields(o, path: "events[\(i)]")
            let who = try who(userId: try e.id("user_id"), anonymousId: try e.id("anonymous_id"), hash: nil, grant: .secret)
            guard let name = try e.string("name") else { throw e.missing("name", "the event's name, such as cart_abandoned") }
            guard name.utf8.count <= 128 else {
                throw Problem.unprocessable("invalid_field", "events[\(i)].name is longer than 128 bytes", extra: [("field", .string("events[\(i)].name"))])
            }
            let time = try e.time("time", notAfter: now.addingTimeInterval(Fields.clockSkew)) ?? now
            let properties = try e.object("properties") ?? LiquidObject()
            let messageId = try e.string("message_id")
            try e.finish()
            batch.append(UserEvent(userId: who.storeId, event: Event(name: name, time: time, properties: properties), messageId: messageId))
        }
        let added = try await store.append(batch)
        metrics.count("events_accepted", by: added)
        return json(object([("accepted", .int(added)), ("duplicates", .int(batch.count - added))]))
    }

    /// An impression, click, dismissal or survey answer; an answer is also kept as a `survey_answered` event.
    func interaction(_ request: Request) async throws -> Response {
        var request = request
        let grant = try authorize(request, publishable: true)
        var f = Fields(try await JSONInput.object(&request, limit: min(configuration.bodyLimit, 64 << 10)))
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
        let time = try f.time("time", notAfter: clock().addingTimeInterval(Fields.clockSkew))
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
        let record = Interaction(userId: who.storeId, campaign: campaign.id, channel: campaign.channel, kind: kind, time: at,
                                 variant: variant, placement: placement,
                                 data: answer.map { object([("answer", $0)]) })
        var caused: [UserEvent] = []
        if kind == .answer, let answer {
            var properties = LiquidObject([("campaign", .string(campaign.id)), ("answer", answer)])
            if let placement { properties["placement"] = .string(placement) }
            if let category = loaded.delivery.survey(for: campaign.template)?.npsCategory(answer) {
                properties["nps_category"] = .string(category)
            }
            caused.append(UserEvent(userId: who.storeId, event: Event(name: "survey_answered", time: at, properties: properties)))
        }
        try await store.record(record, events: caused)
        metrics.count("interactions", [("kind", kind.rawValue)])
        return json(object([("recorded", .string(kind.rawValue)), ("campaign", .string(campaign.id)),
                            ("time", .string(Timestamp.format(at)))]), status: .created)
    }
}
