import Foundation
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// Identity: `POST /v1/identify` merges an anonymous visitor into a signed-in user (secret keys, or publishable ones
/// with the user's `user_hash`); `DELETE /v1/identify/{anonymous_id}` undoes a merge (secret keys).
struct IdentityController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        v1.group().add(middleware: api.keyCheck(.publishable)).post("identify") { request, context in try await identify(request, context) }
        v1.group().add(middleware: api.keyCheck(.secret)).delete("identify/:anonymous_id") { request, context in try await undo(request, context) }
    }

    /// The visitor's events, ledger and traits become the user's (the user's own traits win), in one write, and
    /// later calls naming the anonymous id are the user's. Linking the same pair again is harmless.
    func identify(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        var request = request
        var f = JSONFields(try await JSONInput.object(&request, limit: min(configuration.bodyLimit, 64 << 10)))
        guard let anonymousId = try f.id("anonymous_id") else { throw f.missing("anonymous_id", "the visitor's anonymous id") }
        guard let userId = try f.id("user_id") else { throw f.missing("user_id", "the signed-in user's id") }
        let hash = try f.string("user_hash")
        try f.finish()
        try checkId(anonymousId, "anonymous_id")
        // The user's id is checked, and for a browser its hash verified, as every call naming a user is.
        let user = try who(userId: userId, anonymousId: nil, hash: hash, grant: context.grant)
        let visitor = Who(id: anonymousId, anonymous: true)
        // A user id in the visitors' namespace (`anon:…`) would be the visitor itself.
        guard anonymousId != userId, user.storeId != visitor.storeId, !userId.hasPrefix("anon:") else {
            throw Problem.unprocessable("invalid_field", "anonymous_id and user_id are the same id: a visitor is merged into another, signed-in user",
                                        extra: [("field", "anonymous_id")])
        }
        do {
            let result = try await store.identify(anonymous: visitor.storeId, user: user.storeId, at: clock())
            metrics.count("identities", [("outcome", result.alreadyLinked ? "already_linked" : "merged")])
            return json(mergeValue(result, anonymousId: anonymousId))
        } catch IdentityError.unknownUser {
            throw Problem.notFound("unknown_profile", "no profile \"\(userId)\" to merge the visitor into; store it first (PUT /v1/profiles/{id})")
        } catch IdentityError.linkedElsewhere(_, let other) {
            // Browsers are not told whom the visitor was merged into.
            var problem = Problem(.conflict, "already_identified",
                                  "the visitor \(anonymousId) is merged into another user; undo that first (DELETE /v1/identify/{anonymous_id})")
            if context.grant != .publishable { problem.extra.append(("user_id", .string(other))) }
            throw problem
        }
    }

    /// The link goes, and the visitor gets back what came from it (events, ledger, its profile; trait keys the user
    /// had only from it and that are unchanged).
    func undo(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let anonymousId = try pathParameter(context, "anonymous_id")
        try checkId(anonymousId, "anonymous_id")
        guard let result = try await store.unlink(anonymous: Who(id: anonymousId, anonymous: true).storeId) else {
            throw Problem.notFound("unknown_identity", "the visitor \(anonymousId) is not merged into any user")
        }
        metrics.count("identities", [("outcome", "undone")])
        return json(mergeValue(result, anonymousId: anonymousId))
    }

    private func mergeValue(_ r: MergeResult, anonymousId: String) -> Value {
        object([
            ("anonymous_id", .string(anonymousId)), ("user_id", .string(r.identity.user)),
            ("linked_at", .string(Timestamp.format(r.identity.linkedAt))), ("already_linked", .bool(r.alreadyLinked)),
            ("moved", object([("events", .int(r.events)), ("interactions", .int(r.interactions)), ("traits", .int(r.traits))])),
        ])
    }
}
