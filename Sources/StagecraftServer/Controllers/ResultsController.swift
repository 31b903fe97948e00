import Foundation
import Hummingbird
import Liquid
import Storage

/// Did it work: `GET /v1/campaigns/{id}/results`, a campaign's experiment results from its rollups, and
/// `GET /v1/stages/flow`, how users move between lifecycle stages (secret key).
struct ResultsController: APIController {
    let api: APIServer

    func addRoutes(to v1: RouterGroup<StagecraftRequestContext>) {
        v1.group().add(middleware: api.keyCheck(.secret))
            .get("campaigns/:campaign/results") { request, context in try await results(request, context) }
        v1.group().add(middleware: api.keyCheck(.secret))
            .get("stages/flow") { request, context in try await flow(request, context) }
    }

    /// `from` and `to` (yyyy-MM-dd, UTC) from the query, checked.
    func range(_ request: Request) throws -> (Int?, Int?) {
        let q = request.uri.queryParameters
        func day(_ name: String) throws -> Int? {
            guard let text = q[Substring(name)].map(String.init) else { return nil }
            guard let day = CampaignResults.day(text) else {
                throw Problem.unprocessable("invalid_field", "\"\(name)\" is a date, yyyy-MM-dd (UTC); not \"\(text)\"",
                                            extra: [("field", .string(name))])
            }
            return day
        }
        let from = try day("from")
        let to = try day("to")
        if let from, let to, from > to {
            throw Problem.unprocessable("invalid_field", "\"from\" (\(CampaignResults.date(from))) is after \"to\" (\(CampaignResults.date(to)))",
                                        extra: [("field", "from")])
        }
        return (from, to)
    }

    func flow(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        var (from, to) = try range(request)
        await api.observations.settled()
        let moves = try await store.stageMoves()
        // An open end is the first or last day with moves (or today); the range answered is bounded.
        let today = Rollup.day(of: clock())
        if from != nil || to != nil {
            from = from ?? moves.map(\.day).min() ?? to
            to = to ?? max(today, from ?? today)
            if let f = from, let t = to, t - f >= StageFlow.maxDays {
                throw Problem.unprocessable("invalid_field", "from \(CampaignResults.date(f)) to \(CampaignResults.date(t)) is more than \(StageFlow.maxDays) days",
                                            extra: [("field", "from")])
            }
        }
        return json(StageFlow(moves: moves, stages: content.current.content.stageRules.stages, from: from, to: to).value)
    }

    func results(_ request: Request, _ context: StagecraftRequestContext) async throws -> Response {
        let id = try pathParameter(context, "campaign")
        let (from, to) = try range(request)
        let loaded = content.current
        guard let campaign = loaded.content.campaigns.first(where: { $0.id == id }) else {
            throw Problem.notFound("unknown_campaign", "no campaign \"\(id)\" in the content",
                                   extra: [("campaigns", .array(loaded.content.campaigns.map { .string($0.id) }.sorted { $0.description < $1.description }))])
        }
        await api.observations.settled()
        await api.attributor.now(api)
        let rollups = try await store.rollups(campaign: campaign.id)
        return json(CampaignResults(campaign: campaign, rollups: rollups, from: from, to: to, now: clock()).value)
    }
}
