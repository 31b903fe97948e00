@testable import Content
import Foundation
import Liquid
import Personalization
import Testing

@Suite("campaign goals: read from front matter, checked, and what an event adds to one")
struct GoalTests {
    /// The sample cart email with `goals` before its subject.
    static func cart(goals: String) -> [String: String] {
        var files = ContentSetTests.valid
        files["emails/cart.liquid"] = ContentSetTests.cartEmail.replacingOccurrences(of: "subject:", with: goals + "\nsubject:")
        return files
    }

    @Test("a primary goal and secondary ones, with names, conditions, windows and values")
    func read() throws {
        let set = try ContentSet.load(files: Self.cart(goals: """
            goals:
              primary: { name: recovered, event: purchase, within: 3d }
              secondary:
                - { name: revenue, event: purchase, where: { currency: GBP }, value: properties.order.total }
                - signed_up
            """), channels: testChannels)
        let goals = try #require(set.messages["emails/cart"]?.campaign.goals)
        #expect(goals.map(\.name) == ["recovered", "revenue", "signed_up"])
        #expect(goals.map(\.isPrimary) == [true, false, false])
        #expect(goals[0].within == 3 * 86_400 && goals[0].measure == .conversion && goals[0].condition == nil)
        #expect(goals[1].measure == .value(["order", "total"]) && goals[1].condition != nil && goals[1].within == Goal.defaultWindow)
        #expect(goals[2].event == "signed_up" && goals[2].within == Goal.defaultWindow)
        // No goals: none.
        #expect(try ContentSet.load(files: ContentSetTests.valid, channels: testChannels).messages["emails/cart"]?.campaign.goals.isEmpty == true)
    }

    static let broken: [(String, String)] = [
        ("goals:\n  secondary: [purchase]", "\"goals\" needs a \"primary\" goal"),
        ("goals:\n  primary: { within: 3d }", "missing \"event\""),
        ("goals:\n  primary: { event: purchase, within: soon }", "\"within\" is a duration"),
        ("goals:\n  primary: { event: purchase, within: 0d }", "\"within\" is a time above zero"),
        ("goals:\n  primary: { event: purchase, within: 1e300d }", "up to 3650d"),
        ("goals:\n  primary: { event: purchase, value: amount }", "\"value\" names a number in the event's properties"),
        ("goals:\n  primary: { event: purchase, value: properties. }", "\"value\" names a number in the event's properties"),
        ("goals:\n  primary: { event: purchase, where: { amount: { $gtt: 3 } } }", "unknown condition operator \"$gtt\""),
        ("goals:\n  primary: { event: purchase, windw: 3d }", "unknown key \"windw\" in a goal"),
        ("goals:\n  primary: purchase\n  secondary: [purchase]", "two goals are named \"purchase\""),
        ("goals:\n  primary: purchase\n  secondary: purchase", "\"secondary\" is a list of goals"),
        ("goals:\n  primary: purchase\n  tertiary: [x]", "unknown key \"tertiary\" in goals"),
        ("goals: [purchase]", "goals"),
    ]

    @Test("a broken goal is an error at its line, and the set is not loaded", arguments: broken)
    func rejected(goals: String, expected: String) {
        do {
            _ = try ContentSet.load(files: Self.cart(goals: goals), channels: testChannels)
            Issue.record("loaded despite \(expected)")
        } catch {
            let lines = error.diagnostics.filter { $0.severity == .error }
            #expect(lines.contains { $0.message.contains(expected) && $0.file == "emails/cart.liquid" && $0.line >= 22 }, "\(lines.map(\.description))")
        }
    }

    @Test("what an event adds: the goal's event, its condition met, from exposure to the end of the window")
    func contribution() {
        let exposed = Date(timeIntervalSince1970: 1_800_000_000)
        func event(_ name: String, after seconds: TimeInterval, _ properties: LiquidObject = LiquidObject()) -> Event {
            Event(name: name, time: exposed.addingTimeInterval(seconds), properties: properties)
        }
        let conversion = Goal(event: "purchase", within: 86_400)
        #expect(conversion.contribution(of: event("purchase", after: 0), exposedAt: exposed) == 1)
        #expect(conversion.contribution(of: event("purchase", after: 86_400), exposedAt: exposed) == 1)
        #expect(conversion.contribution(of: event("purchase", after: 86_401), exposedAt: exposed) == nil)
        #expect(conversion.contribution(of: event("purchase", after: -1), exposedAt: exposed) == nil, "before exposure")
        #expect(conversion.contribution(of: event("refund", after: 10), exposedAt: exposed) == nil)

        let revenue = Goal(name: "revenue", event: "purchase", condition: AudienceCondition(.object(LiquidObject([("currency", .string("GBP"))]))),
                           measure: .value(["order", "total"]))
        let order: (Value, String) -> LiquidObject = { total, currency in
            LiquidObject([("currency", .string(currency)), ("order", .object(LiquidObject([("total", total)])))])
        }
        #expect(revenue.contribution(of: event("purchase", after: 60, order(.double(42.5), "GBP")), exposedAt: exposed) == 42.5)
        #expect(revenue.contribution(of: event("purchase", after: 60, order(.int(7), "GBP")), exposedAt: exposed) == 7)
        #expect(revenue.contribution(of: event("purchase", after: 60, order(.string("12.25"), "GBP")), exposedAt: exposed) == 12.25)
        #expect(revenue.contribution(of: event("purchase", after: 60, order(.double(42.5), "EUR")), exposedAt: exposed) == nil, "condition")
        #expect(revenue.contribution(of: event("purchase", after: 60, LiquidObject([("currency", .string("GBP"))])), exposedAt: exposed) == 0,
                "no amount")
        #expect(revenue.contribution(of: event("purchase", after: 60, order(.string("lots"), "GBP")), exposedAt: exposed) == 0)
    }
}
