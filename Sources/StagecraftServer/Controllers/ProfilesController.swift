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
        guard try await store.deleteProfile(id: id) else { throw Problem.notFound("unknown_profile", "no profile \"\(id)\"") }
        return Response(status: .noContent)
    }
}
