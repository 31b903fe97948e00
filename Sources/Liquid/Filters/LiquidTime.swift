import Foundation

/// An instant with the UTC offset it is shown in: what the `date` filter formats.
struct LiquidTime {
    var seconds: Int
    var nanoseconds: Int
    /// Seconds east of UTC.
    var offset: Int
    /// The name `%Z` prints when it was given; empty for a bare numeric offset, as in Ruby.
    private var givenZoneName: String
    /// The zone the time is shown in, when it came from one: its name is looked up only if `%Z` asks for it (ICU's
    /// abbreviations cost microseconds each, and most formats never print one).
    private var zone: TimeZone?

    init(seconds: Int, nanoseconds: Int, offset: Int, zoneName: String) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.offset = offset
        self.givenZoneName = zoneName
    }

    /// What `%Z` prints.
    var zoneName: String {
        guard let zone else { return givenZoneName }
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return "UTC" }
        return zone.abbreviation(for: Date(timeIntervalSince1970: TimeInterval(seconds))) ?? ""
    }

    /// The same instant shown in `zone`.
    func converted(to zone: TimeZone) -> LiquidTime {
        let off = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        var time = LiquidTime(seconds: seconds, nanoseconds: nanoseconds, offset: off, zoneName: "")
        time.zone = zone
        return time
    }

    /// Local calendar fields.
    struct Components {
        let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
        /// 0 = Sunday.
        let weekday: Int
        /// 1-based.
        let dayOfYear: Int
    }

    /// For every timestamp an `Int` holds (Ruby's `Time.at` takes them all).
    var fields: Components {
        let (days, secondsOfDay) = CivilCalendar.days(fromSeconds: seconds, offset: offset)
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        let weekday = CivilCalendar.weekday(fromDays: days)
        let dayOfYear = days - CivilCalendar.days(fromCivil: y, 1, 1) + 1
        return Components(year: y, month: m, day: d, hour: secondsOfDay / 3600, minute: secondsOfDay % 3600 / 60,
                      second: secondsOfDay % 60, weekday: weekday, dayOfYear: dayOfYear)
    }
}

/// Dates of the proleptic Gregorian calendar as day counts since 1970-01-01 and back (Howard Hinnant's
/// algorithms): time zone arithmetic without a calendar object.
public enum CivilCalendar {
    /// The local day (since 1970-01-01) and second of that day of `seconds` since the epoch at `offset` seconds east of
    /// UTC. The two are split apart before they are added, so no `Int` timestamp or offset overflows.
    public static func days(fromSeconds seconds: Int, offset: Int = 0) -> (days: Int, secondOfDay: Int) {
        var days = seconds / 86_400 + offset / 86_400
        var second = seconds % 86_400 + offset % 86_400
        days += second / 86_400
        second %= 86_400
        if second < 0 {
            second += 86_400
            days -= 1
        }
        return (days, second)
    }

    /// 0 = Sunday (1970-01-01 was a Thursday).
    public static func weekday(fromDays days: Int) -> Int { ((days % 7) + 11) % 7 }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
