import Foundation
import Liquid
import Personalization
import Storage
import Testing

/// The order attribution writes rows in is the order the SQL stores lock them: every writer must use the same one,
/// or two passes could wait on each other in a circle. These pin it, and the sums, against the keys joined as text
/// (campaign, goal, user, separated by NUL), as they were made before they became structs.
@Suite("Attribution: credits and rollup changes, summed and in lock order")
struct AttributionOrderTests {
    private static let start = Date(timeIntervalSince1970: 1_790_000_000)

    private static func campaign(_ id: String) -> Campaign {
        var c = Campaign(id: id, template: id, channel: Channel(rawValue: "email")!, variants: [Variant(key: "a"), Variant(key: "b")])
        c.goals = [Goal(event: "plan_upgraded", within: 86_400, isPrimary: true),
                   Goal(name: "revenue", event: "order_completed", within: 86_400, measure: .value(["total"]))]
        return c
    }

    private static func event(_ user: String, _ name: String, _ seconds: Double, total: Double? = nil) -> UserEvent {
        UserEvent(userId: user, event: Event(name: name, time: start.addingTimeInterval(seconds),
                                             properties: LiquidObject(total.map { [("total", Value.double($0))] } ?? [])))
    }

    @Test("one credit per campaign, goal and user: conversions once, values summed; sorted as the joined keys sort")
    func credits() {
        // Two campaigns whose ids share a prefix, users whose ids do too: a shorter key comes first.
        let goals = GoalIndex([Self.campaign("c1x"), Self.campaign("c1")])
        let events = [
            Self.event("u1x", "order_completed", 10, total: 5),
            Self.event("u1", "plan_upgraded", 20),
            Self.event("u1x", "order_completed", 30, total: 7),
            Self.event("u1", "plan_upgraded", 40),
            Self.event("u2", "order_completed", 50, total: 1),
            Self.event("u1", "page_viewed", 60),
        ]
        let exposed: [Attribution.Pair: Exposure] = Dictionary(uniqueKeysWithValues: ["c1", "c1x"].flatMap { c in
            ["u1", "u1x"].map { u in
                (Attribution.Pair(campaign: c, userId: u), Exposure(campaign: c, userId: u, arm: Arm(variant: "a"), time: Self.start))
            }
        })
        #expect(Attribution.wanted(events, goals).count == 6, "c1 and c1x for u1x, u1 and u2, each once")
        let credits = Attribution.credits(events, goals, exposed: exposed)
        // u2 has no exposure: nothing. u1 converts once per campaign, u1x's revenue is 12 from two events.
        #expect(credits.map(\.key) == ["c1\0plan_upgraded\0u1", "c1\0revenue\0u1x", "c1x\0plan_upgraded\0u1", "c1x\0revenue\0u1x"])
        #expect(credits.map(\.key) == credits.map(\.key).sorted())
        for c in credits where c.isConversion {
            #expect(c.amount == 1 && c.events == 2)
        }
        for c in credits where !c.isConversion {
            #expect(c.amount == 12 && c.events == 2)
        }
    }

    @Test("rollup changes are summed per row, in campaign, goal, arm (held out last) and day order")
    func summed() {
        func change(_ campaign: String, _ goal: String, _ arm: Arm, day: Int, users: Int, sum: Double) -> Attribution.RollupChange {
            let time = Date(timeIntervalSince1970: Double(day) * 86_400 + 3_600)
            return Attribution.RollupChange(campaign: campaign, goal: goal, exposure: Exposure(campaign: campaign, userId: "u", arm: arm, time: time),
                                            users: users, sum: sum, sumOfSquares: sum * sum)
        }
        let day = Rollup.day(of: Self.start)
        let changes = [
            change("c1x", "", .holdout, day: day, users: 1, sum: 0),
            change("c1", "revenue", Arm(variant: "b"), day: day + 1, users: 1, sum: 3),
            change("c1", "revenue", .holdout, day: day, users: 1, sum: 2),
            change("c1", "revenue", Arm(variant: "b"), day: day + 1, users: 0, sum: 4),
            change("c1", "", Arm(variant: "a"), day: day, users: 1, sum: 0),
            change("c1", "revenue", Arm(variant: "b"), day: day, users: 1, sum: 1),
            change("c1", "", Arm(variant: "a"), day: day, users: 1, sum: 0),
        ]
        let rows = Attribution.summed(changes)
        func joined(_ r: (campaign: String, row: Rollup)) -> String {
            [r.campaign, r.row.goal, r.row.arm.heldOut ? "1" : "0", r.row.arm.variant, String(r.row.day)].joined(separator: "\0")
        }
        #expect(rows.count == 5)
        #expect(rows.map(joined) == rows.map(joined).sorted())
        #expect(rows.map { "\($0.campaign) \($0.row.goal) \($0.row.arm.heldOut ? "holdout" : $0.row.arm.variant) \($0.row.day - day)" }
            == ["c1  a 0", "c1 revenue b 0", "c1 revenue b 1", "c1 revenue holdout 0", "c1x  holdout 0"])
        let twice = rows[2].row
        #expect(twice.users == 1 && twice.sum == 7 && twice.sumOfSquares == 25, "3 and 4 summed (their squares as given)")
        #expect(rows[0].row.users == 2)
    }
}
