import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// Profiles: `PUT`, `PATCH`, `GET` and `DELETE /v1/profiles/{id}`; secret keys only.
struct ProfilesController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: api.keyCheck(.secret))
        routes.put("profiles/:id") { request, context in try await saveProfile(request, context, merge: false) }
        routes.patch("profiles/:id") { request, context in try await saveProfile(request, context, merge: true) }
        routes.get("profiles/:id") { request, context in try await getProfile(request, context) }
        routes.delete("profiles/:id") { request, context in try await deleteProfile(request, context) }
        routes.get("profiles/:id/export") { request, context in try await export(request, context) }
    }

    /// Everything kept about the person as one JSON document (data portability, a subject access request): the
    /// profile, every event and interaction (survey answers among them, also listed apart), each with the visitor it
    /// was merged from, and the visitors merged in. DELETE removes all of it.
    func export(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let id = try profileId(context)
        guard let data = try await store.export(userId: id) else { throw Problem.notFound("unknown_profile", "nothing is kept about \"\(id)\"") }
        func visitor(_ origin: String?) -> Value {
            origin.map { .string($0.hasPrefix("anon:") ? String($0.dropFirst(5)) : $0) } ?? .null
        }
        let events: [Value] = data.events.map { e in
            object([("name", .string(e.item.name)), ("time", .string(Timestamp.format(e.item.time))),
                    ("properties", .object(e.item.properties)), ("message_id", e.messageId.map(Value.string) ?? .null),
                    ("merged_from", visitor(e.origin))])
        }
        let interactions: [Value] = data.interactions.map { k in
            let i = k.item
            return object([("campaign", .string(i.campaign)), ("channel", .string(i.channel.rawValue)), ("kind", .string(i.kind.rawValue)),
                           ("time", .string(Timestamp.format(i.time))), ("variant", i.variant.map(Value.string) ?? .null),
                           ("placement", i.placement.map(Value.string) ?? .null), ("data", i.data ?? .null),
                           ("merged_from", visitor(k.origin))])
        }
        let answers: [Value] = data.interactions.filter { $0.item.kind == .answer }.map { k in
            object([("campaign", .string(k.item.campaign)), ("time", .string(Timestamp.format(k.item.time))), ("answer", k.item.data?.objectValue?["answer"] ?? k.item.data ?? .null)])
        }
        let identities: [Value] = data.identities.map { i in
            object([("anonymous_id", visitor(i.anonymous)), ("linked_at", .string(Timestamp.format(i.linkedAt)))])
        }
        let document = object([
            ("id", .string(id)), ("exported_at", .string(Timestamp.format(clock()))),
            ("profile", data.record.map { profileValue($0, stage: nil) } ?? .null),
            ("events", .array(events)), ("interactions", .array(interactions)), ("answers", .array(answers)),
            ("merged_identities", .array(identities)),
        ])
        var headers: HTTPFields = [:]
        headers[.contentDisposition] = "attachment; filename=\"stagecraft-export.json\""
        return json(document, headers: headers)
    }

    func profileId(_ context: StagecraftRequestContext) throws -> String {
        let id = try pathParameter(context, "id")
        try checkId(id, "the profile id")
        return id
    }

    func profileValue(_ record: ProfileRecord, stage: String?) -> Value {
        var pairs: [(String, Value)] = [
            ("id", .string(record.id)), ("traits", .object(record.traits)),
            ("time_zone", record.timeZone.map(Value.string) ?? .null), ("locale", record.locale.map(Value.string) ?? .null),
            ("created_at", .string(Timestamp.format(record.createdAt))), ("updated_at", .string(Timestamp.format(record.updatedAt))),
        ]
        if let stage { pairs.append(("stage", .string(stage))) }
        return object(pairs)
    }

    /// PUT replaces the traits (and zone and locale); PATCH merges the traits as a JSON merge patch (RFC 7396). Both create a
    /// missing profile (201).
    func saveProfile(_ request: Request, _ context: StagecraftRequestContext, merge: Bool) async throws -> Response {
        var request = request
        let id = try profileId(context)
        var f = JSONFields(try await JSONInput.object(&request, limit: configuration.bodyLimit))
        let traits = try f.object("traits")
        let zone = try f.timeZone("time_zone")
        let locale = try f.locale("locale")
        try f.finish()
        guard traits != nil || merge else { throw f.missing("traits", "an object; send {} for none") }
        let update: TraitsUpdate = merge ? .merge(traits ?? LiquidObject()) : .replace(traits ?? LiquidObject())
        let (record, created) = try await store.saveProfile(id: id, traits: update, timeZone: zone, locale: locale?.identifier,
                                                            at: clock())
        return json(profileValue(record, stage: nil), status: created ? .created : .ok,
                    headers: created ? [.location: "/v1/profiles/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id)"] : [:])
    }

    func getProfile(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
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
        let id = try profileId(context)
        // What serving saw of them (a stage, a holdout exposure) is written first, so the flow counts them in and
        // then out; from then on what serving sees of them is not queued, so nothing lands after the deletion to
        // bring them back.
        await api.observations.settled()
        api.observations.forget(userId: id)
        let removed = try await store.deleteProfile(id: id, at: clock())
        guard removed else { throw Problem.notFound("unknown_profile", "no profile \"\(id)\"") }
        return Response(status: .noContent)
    }
}
