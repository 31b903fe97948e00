import Foundation
import Liquid
import Testing
@testable import Personalization

@Suite struct FactsTests {
    static let now = Timestamp.parse("2026-03-20T12:00:00Z")!

    static func at(_ iso: String) -> Date { Timestamp.parse(iso)! }

    static let shopper = Profile(
        id: "u1",
        traits: LiquidObject([("signed_up_at", "2026-01-19T08:00:00Z")]),
        timeZone: TimeZone(identifier: "Europe/Paris")!,
        events: [
            Event(name: "purchase", time: at("2025-12-01T10:00:00Z"), properties: LiquidObject([("total", 120)])),
            Event(name: "page_view", time: at("2026-03-01T10:00:00Z")),
            Event(name: "page_view", time: at("2026-03-15T10:00:00Z")),
            Event(name: "purchase", time: at("2026-03-16T10:00:00Z"), properties: LiquidObject([("total", 80.5)])),
            Event(name: "page_view", time: at("2026-03-20T11:30:00Z")),
        ])

    @Test func derivesCountsOrdersAndScores() {
        let facts = Facts(profile: Self.shopper, now: Self.now)
        #expect(facts.daysSinceSignup == 60)
        #expect(facts.daysSinceLastSeen == 0)
        #expect(facts.eventCounts["page_view"] == WindowCounts(1, 2, 3))
        #expect(facts.eventCounts["purchase"] == WindowCounts(0, 1, 1))
        #expect(facts.orderCount == 2)
        #expect(facts.totalSpent == 200.5)
        #expect(facts.recencyScore == 5)
        #expect(facts.frequencyScore == 2)
        #expect(facts.monetaryScore == 3)
    }

    @Test func aNewUserHasNoHistory() {
        let facts = Facts(profile: Profile(id: "new"), now: Self.now)
        #expect(facts.daysSinceSignup == nil)
        #expect(facts.daysSinceLastSeen == nil)
        #expect(facts.orderCount == 0)
        #expect(facts.recencyScore == 1 && facts.frequencyScore == 1 && facts.monetaryScore == 1)
    }

    /// Local time follows the user's zone through daylight-saving changes.
    @Test(arguments: [
        ("2026-03-08T06:30:00Z", "America/New_York", "01:30", "sunday", "2026-03-08"),
        ("2026-03-08T07:30:00Z", "America/New_York", "03:30", "sunday", "2026-03-08"),
        ("2026-10-25T00:30:00Z", "Europe/Paris", "02:30", "sunday", "2026-10-25"),
        ("2026-10-25T01:30:00Z", "Europe/Paris", "02:30", "sunday", "2026-10-25"),
        ("2026-03-20T23:30:00Z", "Asia/Tokyo", "08:30", "saturday", "2026-03-21"),
        ("2026-03-20T09:00:00Z", "Pacific/Honolulu", "23:00", "thursday", "2026-03-19"),
    ])
    func localTimeIsTheUsersWallClock(instant: String, zone: String, time: String, weekday: String, date: String) {
        let profile = Profile(id: "z", timeZone: TimeZone(identifier: zone)!)
        let facts = Facts(profile: profile, now: Self.at(instant))
        #expect(facts.localTime == time)
        #expect(facts.weekday == weekday)
        #expect(facts.localDate == date)
    }

    @Test func factsAreTemplateAndConditionData() {
        let value = Facts(profile: Self.shopper, now: Self.now).value
        let condition = AudienceCondition(["facts.order_count": ["$gte": 2], "facts.event_counts.page_view.7d": 2,
                                           "facts.rfm.recency": 5])
        #expect(condition.matches(["facts": value]))
    }

    @Test(arguments: [
        (#"{"traits": {}}"#, "a profile needs an \"id\""),
        (#"{"id": "u", "time_zone": "Mars/Base"}"#, "unknown time zone \"Mars/Base\""),
        (#"{"id": "u", "events": [{"time": "2026-01-01T00:00:00Z"}]}"#, "event 0 needs a \"name\""),
        (#"{"id": "u", "events": [{"name": "x", "time": "yesterday"}]}"#, "event 0 (x) needs an ISO 8601 \"time\""),
        (#"{"id": "u", "traits": "gold"}"#, "\"traits\" must be an object"),
        (#"{"id": "u", "time_zone": 7}"#, "\"time_zone\" must be an IANA zone name such as Europe/Paris"),
        (#"{"id": "u", "events": {"name": "x"}}"#, "\"events\" must be an array"),
        (#"{"id": "u", "events": [{"name": "x", "time": "2026-01-01T00:00:00Z", "properties": [1]}]}"#,
         "event 0 (x): \"properties\" must be an object"),
        (#"{"id": "u", "timezone": "Europe/Paris"}"#, "a profile has no \"timezone\"; it has \"id\", \"traits\", \"time_zone\", \"locale\", \"events\""),
    ])
    func badProfilesSayWhatIsWrong(json: String, message: String) throws {
        #expect(throws: ProfileError.self) { try Profile(json: JSON.parse(json)) }
        do {
            _ = try Profile(json: try JSON.parse(json))
        } catch let error as ProfileError {
            #expect(error.message == message)
        }
    }

    @Test func profilesReadFromJSONKeepEventsInOrder() throws {
        let profile = try Profile(json: try JSON.parse(#"""
            {"id": 42, "time_zone": "Europe/Berlin", "traits": {"plan": "pro"},
             "events": [{"name": "b", "time": "2026-03-02T00:00:00Z"}, {"name": "a", "time": "2026-03-01T00:00:00.250Z"}]}
            """#))
        #expect(profile.id == "42")
        #expect(profile.events.map(\.name) == ["a", "b"])
        #expect(profile.traits["plan"]?.stringValue == "pro")
    }
}
