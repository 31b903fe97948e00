import Foundation
import Liquid

/// What conditions and templates know about a user beyond their traits, derived from the profile at a time.
///
/// Templates see them as `facts`; conditions address them as `facts.days_since_signup` and so on.
public struct Facts: Sendable, Equatable {
    /// Whole days since `traits.signed_up_at` (or the first event); nil when neither exists.
    public var daysSinceSignup: Int?
    /// Whole days since the last event (or `traits.last_seen_at`).
    public var daysSinceLastSeen: Int?
    /// How often each event happened in the last 1, 7 and 30 days.
    public var eventCounts: [String: [Int]]
    public var orderCount: Int
    public var totalSpent: Double
    public var lastPurchaseAt: Date?
    /// Recency, frequency and monetary scores, 1 (weakest) to 5.
    public var recencyScore: Int
    public var frequencyScore: Int
    public var monetaryScore: Int
    /// The user's wall clock: hour 0-23, `HH:mm`, weekday name in English lower case, `yyyy-MM-dd`.
    public var localHour: Int
    public var localTime: String
    public var weekday: String
    public var localDate: String
    /// Minutes since local midnight, and the weekday as 0 (Sunday) to 6, for time windows.
    public var minuteOfDay: Int
    public var weekdayNumber: Int

    /// Events that count as orders, and the property holding their amount.
    public static let purchaseEvents: Set<String> = ["purchase", "order_completed"]
    public static let amountProperties = ["total", "value", "amount"]
    static let windows = [1, 7, 30]

    public init(profile: Profile, now: Date) {
        let day = 86_400.0
        func days(since date: Date) -> Int { max(0, Int((now.timeIntervalSince(date) / day).rounded(.down))) }

        let signup = profile.traits["signed_up_at"]?.stringValue.flatMap(Timestamp.parse) ?? profile.events.first?.time
        daysSinceSignup = signup.map(days(since:))
        let lastSeen = profile.events.last?.time ?? profile.traits["last_seen_at"]?.stringValue.flatMap(Timestamp.parse)
        daysSinceLastSeen = lastSeen.map(days(since:))

        var counts: [String: [Int]] = [:]
        for name in profile.eventNames {
            counts[name] = Self.windows.map { profile.count(of: name, after: now.addingTimeInterval(-Double($0) * day), through: now) }
        }
        var orders = 0
        var spent = 0.0
        var lastPurchase: Date?
        for name in Self.purchaseEvents {
            for event in profile.events(named: name, atOrBefore: now) {
                orders += 1
                if lastPurchase.map({ event.time > $0 }) ?? true { lastPurchase = event.time }
                for key in Self.amountProperties {
                    if case .int(let i)? = event.properties[key] { spent += Double(i); break }
                    if case .double(let d)? = event.properties[key] { spent += d; break }
                }
            }
        }
        eventCounts = counts
        orderCount = orders
        totalSpent = spent
        lastPurchaseAt = lastPurchase
        recencyScore = Self.score(lastPurchase.map(days(since:)).map { -Double($0) } ?? -.infinity, [-180, -90, -30, -7])
        frequencyScore = Self.score(Double(orders), [2, 3, 5, 10])
        monetaryScore = Self.score(spent, [50, 200, 500, 1000])

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = profile.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: now)
        localHour = parts.hour ?? 0
        minuteOfDay = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        weekdayNumber = (parts.weekday ?? 1) - 1
        localTime = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        weekday = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"][(parts.weekday ?? 1) - 1]
        localDate = String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// 1 plus the number of thresholds `value` reaches.
    static func score(_ value: Double, _ thresholds: [Double]) -> Int {
        1 + thresholds.filter { value >= $0 }.count
    }

    /// The facts as template and condition data, under snake_case names.
    public var value: Value {
        var counts = LiquidObject()
        for name in eventCounts.keys.sorted() {
            let row = eventCounts[name]!
            counts[name] = ["1d": .int(row[0]), "7d": .int(row[1]), "30d": .int(row[2])]
        }
        return .object(LiquidObject([
            ("days_since_signup", daysSinceSignup.map { .int($0) } ?? .null),
            ("days_since_last_seen", daysSinceLastSeen.map { .int($0) } ?? .null),
            ("event_counts", .object(counts)),
            ("order_count", .int(orderCount)),
            ("total_spent", .double(totalSpent)),
            ("last_purchase_at", lastPurchaseAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null),
            ("rfm", ["recency": .int(recencyScore), "frequency": .int(frequencyScore), "monetary": .int(monetaryScore)]),
            ("local_hour", .int(localHour)),
            ("local_time", .string(localTime)),
            ("weekday", .string(weekday)),
            ("local_date", .string(localDate)),
        ]))
    }
}
