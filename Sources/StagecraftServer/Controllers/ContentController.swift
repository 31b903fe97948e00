import Content
import Delivery
import Foundation
import HTMLCheck
import HTTPTypes
import Hummingbird
import Liquid
import Personalization
import Storage

/// The content being served: `GET /v1/content` (its index), `GET /v1/content/status` (the last reload),
/// `GET /v1/content/files/{path}` (a file's text) and `POST /v1/content/reload`; secret keys only.
struct ContentController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        let routes = v1.group().add(middleware: api.keyCheck(.secret))
        routes.get("content") { request, _ in try contentIndex(request) }
        routes.get("content/status") { request, _ in try contentStatus(request) }
        routes.get("content/files/**") { request, context in try contentFile(request, context) }
        routes.post("content/reload") { request, _ in
            try await content.reloadOffTheEventLoops()
            return try contentStatus(request)
        }
    }

    func contentIndex(_ request: Request) throws -> Response {
        let loaded = content.current
        let set = loaded.content
        let templates: [Value] = set.messages.values.sorted { $0.name < $1.name }.map { m in
            let c = m.campaign
            return object([
                ("name", .string(m.name)), ("file", .string(m.file)), ("campaign", .string(c.id)),
                ("channel", .string(c.channel.rawValue)), ("placement", c.placement.map(Value.string) ?? .null),
                ("stages", c.stages.map { .array($0.map(Value.string)) } ?? .null), ("priority", .int(c.priority)),
                ("default", .bool(c.isDefault)), ("variants", .array(c.variants.map { .string($0.key) })),
                ("recommendations", .array(m.recommendations.map(Value.string))),
            ])
        }
        let placements: [Value] = set.engine.placements.map { p in
            object([("name", .string(p)), ("campaigns", .array(set.engine.candidates(for: p).map { .string($0.id) })),
                    ("default", set.engine.placementDefault(for: p).map { .string($0.id) } ?? .null)])
        }
        return json(object([
            ("generation", .int(loaded.generation)), ("loaded_at", .string(Timestamp.format(loaded.delivery.loadedAt))),
            ("templates", .array(templates)), ("placements", .array(placements)),
            ("stages", .array(set.stageRules.stages.map(Value.string))),
            ("locales", .array(set.translations.locales.map { .string($0.identifier) })),
            ("default_locale", .string(set.translations.defaultLocale.identifier)),
            ("profiles", .array(set.profiles.keys.sorted().map(Value.string))),
            ("recommendations", .array(set.recommendationRules.map { .string($0.name) })),
            ("partials", .array(set.partials.keys.sorted().map(Value.string))),
        ]))
    }

    func contentStatus(_ request: Request) throws -> Response {
        let s = content.status
        return json(object([
            ("ok", .bool(s.refused == nil)), ("generation", .int(s.generation)),
            ("loaded_at", .string(Timestamp.format(s.loadedAt))), ("last_attempt", .string(Timestamp.format(s.lastAttempt))),
            ("errors", .array((s.refused ?? []).errors.map(\.value))),
            ("warnings", .array(((s.refused ?? []).warnings + s.warnings).map(\.value))),
        ]))
    }

    /// A content file's text, for the preview studio to show the line a diagnostic names.
    func contentFile(_ request: Request, _ context: StagecraftRequestContext) throws -> Response {
        let path = try pathSegments(context).joined(separator: "/")
        guard let text = content.current.files[path] else {
            throw Problem.notFound("unknown_file", "no content file \"\(path)\"")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
