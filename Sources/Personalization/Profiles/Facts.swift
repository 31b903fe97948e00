import Foundation
import Liquid

/// What conditions and templates know about a user beyond their traits, derived from the profile at a time.
///
/// Templates see them as `facts`; conditions address them as `facts.days_since_signup` and so on.
public struct Facts: Sendable, Equatable {
    public static func == (a: Facts, b: Facts) -> Bool {
        a.daysSinceSignup == b.daysSinceSignup && a.daysSinceLastSeen == b.daysSinceLastSeen && a.eventCounts == b.eventCounts
            && a.orderCount == b.orderCount && a.totalSpent == b.totalSpent && a.lastPurchaseAt == b.lastPurchaseAt
            && a.recencyScore == b.recencyScore && a.frequencyScore == b.frequencyScore && a.monetaryScore == b.monetaryScore
            && a.localHour == b.localHour && a.localTime == b.localTime && a.weekday == b.weekday && a.localDate == b.localDate
            && a.minuteOfDay == b.minuteOfDay && a.weekdayNumber == b.weekdayNumber && a.daysUntilBirthday == b.daysUntilBirthday
            && a.clock == b.clock
    }

    /// Whole days since `traits.signed_up_at` (or the first event); nil when neither exists.
    public var daysSinceSignup: Int?
    /// Whole days since the last event (or `traits.last_seen_at`).
    public var daysSinceLastSeen: Int?
    /// How often each event happened in the last 1, 7 and 30 days (names with no event by now left out).
    public var eventCounts: [String: WindowCounts] {
        var counts: [String: WindowCounts] = Dictionary(minimumCapacity: windows.count)
        for (k, w) in windows.enumerated() where w.month >= 0 { counts[index.names[k]] = w }
        return counts
    }
    /// The same per name of the profile's ``EventIndex``; a month of -1 marks a name with no event by now.
    private let windows: [WindowCounts]
    private let index: EventIndex

    /// How often `name` happened in the windows; nil when it never happened by now.
    func eventCount(_ name: String) -> WindowCounts? {
        guard let k = index.slots[name], windows[k].month >= 0 else { return nil }
        return windows[k]
    }
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
    /// Days from the user's local today to their next birthday (0 on the day), from `traits.birthday`
    /// (`1990-04-12` or `04-12`); a 29 February birthday falls on 28 February in other years. Nil without one.
    public var daysUntilBirthday: Int?
    /// The same clock for calendar arithmetic (local midnight for caps).
    let clock: LocalClock

    /// Events that count as orders, and the property holding their amount.
    public static let purchaseEvents: Set<String> = ["purchase", "order_completed"]
    public static let amountProperties = ["total", "value", "amount"]

    public init(profile: Profile, now: Date) {
        let day = 86_400.0
        func days(since date: Date) -> Int { max(0, Int((now.timeIntervalSince(date) / day).rounded(.down))) }

        let signup = profile.traits["signed_up_at"]?.stringValue.flatMap(Timestamp.parse) ?? profile.events.first?.time
        daysSinceSignup = signup.map(days(since:))
        let lastSeen = profile.lastEventTime(atOrBefore: now) ?? profile.traits["last_seen_at"]?.stringValue.flatMap(Timestamp.parse)
        daysSinceLastSeen = lastSeen.map(days(since:))

        let t = now.timeIntervalSince1970
        let index = profile.byName
        let windows = index.windows(at: t)
        self.windows = windows
        self.index = index
        let purchases = profile.purchases
        let orders = EventIndex.firstIndex(purchases.times, in: 0..<purchases.times.count, after: t)
        orderCount = orders
        totalSpent = orders == 0 ? 0 : purchases.runningTotal[orders - 1]
        lastPurchaseAt = orders == 0 ? nil : Date(timeIntervalSince1970: purchases.times[orders - 1])
        recencyScore = Self.score(lastPurchaseAt.map(days(since:)).map { -Double($0) } ?? -.infinity, [-180, -90, -30, -7])
        frequencyScore = Self.score(Double(orders), [2, 3, 5, 10])
        monetaryScore = Self.score(totalSpent, [50, 200, 500, 1000])

        clock = LocalClock(now, in: profile.timeZone)
        localHour = clock.minuteOfDay / 60
        minuteOfDay = clock.minuteOfDay
        weekdayNumber = clock.weekday
        localTime = LocalClock.pad(clock.minuteOfDay / 60) + ":" + LocalClock.pad(clock.minuteOfDay % 60)
        weekday = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"][clock.weekday]
        localDate = clock.date
        daysUntilBirthday = profile.traits["birthday"]?.stringValue.flatMap { Self.daysUntil(birthday: $0, from: clock) }
    }

    static func daysUntil(birthday: String, from clock: LocalClock) -> Int? {
        let parts = birthday.split(separator: "-").compactMap { Int($0) }
        guard parts.count >= 2, let month = parts.suffix(2).first, let day = parts.last, (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let (year, _, _) = CivilCalendar.civil(fromDays: clock.days)
        func next(in y: Int) -> Int {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
            let d = month == 2 && day == 29 && !leap ? 28 : day
            return CivilCalendar.days(fromCivil: y, month, d)
        }
        let thisYear = next(in: year)
        return thisYear >= clock.days ? thisYear - clock.days : next(in: year + 1) - clock.days
    }

    /// 1 plus the number of thresholds `value` reaches.
    static func score(_ value: Double, _ thresholds: [Double]) -> Int {
        1 + thresholds.filter { value >= $0 }.count
    }

    /// The facts as template and condition data, under snake_case names.
    public var value: Value {
        var counts = LiquidObject()
        let all = eventCounts
        for name in all.keys.sorted() {
            counts[name] = all[name]!.value
        }
        return .object(LiquidObject([
            ("days_since_signup", daysSinceSignup.map { .int($0) } ?? .null),
            ("days_since_last_seen", daysSinceLastSeen.map { .int($0) } ?? .null),
            ("event_counts", .object(counts)),
            ("order_count", .int(orderCount)),
            ("total_spent", .double(totalSpent)),
            ("last_purchase_at", lastPurchaseAt.map { .string(Timestamp.format($0)) } ?? .null),
            ("rfm", ["recency": .int(recencyScore), "frequency": .int(frequencyScore), "monetary": .int(monetaryScore)]),
            ("local_hour", .int(localHour)),
            ("local_time", .string(localTime)),
            ("weekday", .string(weekday)),
            ("local_date", .string(localDate)),
            ("days_until_birthday", daysUntilBirthday.map { .int($0) } ?? .null),
        ]))
    }
}

/// The user's wall clock at an instant, from the zone's offset at that instant (so daylight saving is exact).
struct LocalClock: Sendable, Equatable {
    let offset: Int
    let minuteOfDay: Int
    /// 0 = Sunday.
    let weekday: Int
    /// `yyyy-MM-dd`.
    let date: String
    let days: Int

    init(_ now: Date, in zone: TimeZone) {
        offset = zone.secondsFromGMT(for: now)
        // A request's time is a parsed timestamp (years 0000 to 9999), the server's its clock: in Int's range.
        let seconds = Int(now.timeIntervalSince1970.rounded(.down))
        let (days, secondOfDay) = CivilCalendar.days(fromSeconds: seconds, offset: offset)
        self.days = days
        minuteOfDay = secondOfDay / 60
        weekday = CivilCalendar.weekday(fromDays: days)
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        date = Self.pad(y, 4) + "-" + Self.pad(m) + "-" + Self.pad(d)
    }

    static func pad(_ v: Int, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// How often an event happened in the last day, 7 days and 30 days.
public struct WindowCounts: Sendable, Equatable {
    public var day: Int
    public var week: Int
    public var month: Int

    public init(_ day: Int, _ week: Int, _ month: Int) {
        self.day = day
        self.week = week
        self.month = month
    }

    /// `{"1d", "7d", "30d"}`.
    public var value: Value { ["1d": .int(day), "7d": .int(week), "30d": .int(month)] }
}
