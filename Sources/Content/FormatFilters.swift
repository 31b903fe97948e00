import Foundation
import Liquid
import Localization
import Synchronization

/// Numbers, money, dates, relative times and lists in the user's locale, from CLDR's data through Foundation's ICU
/// (no table of ours): `format_number`, `format_currency`, `format_date`, `format_relative`, `format_list`.
///
/// The locale is the user's own when the text is in their language (`fr-CA` formats as Canadian French when the
/// text is served in `fr`), else the text's; with
/// the numbering system CLDR gives it by default (Latin digits for `ar` and `ar-AE`, Arabic-Indic for `ar-EG`)
/// unless `locales.yml` says otherwise (`numbering: {ar: arab}`). Dates are in the user's zone.
enum FormatFilters {
    static let all: FilterTable = {
        var table = FilterTable()
        table["format_number"] = formatNumber
        table["format_currency"] = formatCurrency
        table["format_date"] = formatDate
        table["format_relative"] = formatRelative
        table["format_list"] = formatList
        return table
    }()

    /// The Foundation locale a render formats in.
    static func locale(_ context: Context) -> Locale { formatting(context).0 }

    /// The Foundation locale a render formats in, with its identifier and the number ``Formatters`` keys it by (nil:
    /// not cached).
    static func formatting(_ context: Context) -> (Locale, String, number: Int?) {
        guard let served = context.host as? ServedLocale else { return (english, "en", 0) }
        return (served.formatLocale, served.formatIdentifier, served.formatNumber)
    }

    static let english = Locale(identifier: "en")

    /// A `t` count as `served` writes numbers: grouped and in its digits, with the fraction digits it was given.
    static func count(_ value: Value, in served: ServedLocale) -> String {
        switch value {
        case .int(let i):
            // (Negative ones go to ICU: some locales write their own minus sign.)
            if served.writesSmallIntegersPlain, i >= 0, i < 1000 { return String(i) }
            return i.formatted(IntegerFormatStyle<Int>(locale: served.formatLocale))
        case .double(let d) where d.isFinite:
            let digits = TranslateFilter.operands(of: value)?.v ?? 0
            return d.formatted(FloatingPointFormatStyle<Double>(locale: served.formatLocale).precision(.fractionLength(min(digits, 10))))
        default:
            return value.description
        }
    }

    static func number(_ value: Value, _ name: String) throws(LiquidError) -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite: return d
        case .string(let s):
            if let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
        case .null, .empty, .blank:
            throw LiquidError(.argument, "\(name): no number to format")
        default:
            break
        }
        throw LiquidError(.argument, "\(name): \(value.description.prefix(40)) is not a number")
    }

    static func decimals(_ arguments: FilterArguments, _ name: String) throws(LiquidError) -> Int? {
        guard let value = arguments.keyword("decimals"), !value.isNil else { return nil }
        guard case .int(let n) = value, (0...10).contains(n) else {
            throw LiquidError(.argument, "\(name): decimals: must be a whole number from 0 to 10")
        }
        return n
    }

    /// `{{ 1234.5 | format_number }}` is `1,234.5` in English, `1 234,5` in French; `decimals: 2` fixes the
    /// fraction digits; `style: 'percent'` shows 0.25 as `25%` (`25 %` in French).
    static let formatNumber: Filter = { input, arguments, context in
        try arguments.expect("format_number", min: 0, max: 0)
        let value = try number(input, "format_number")
        let locale = locale(context)
        let decimals = try decimals(arguments, "format_number")
        switch arguments.keyword("style")?.description ?? "decimal" {
        case "decimal":
            var style = FloatingPointFormatStyle<Double>(locale: locale)
            if let decimals { style = style.precision(.fractionLength(decimals)) }
            return .string(value.formatted(style))
        case "percent":
            // CLDR's percent patterns show whole percents (26 % for 0.256) unless decimals: says.
            let style = FloatingPointFormatStyle<Double>.Percent(locale: locale).precision(.fractionLength(decimals ?? 0))
            return .string(value.formatted(style))
        case let other:
            throw LiquidError(.argument, "format_number: style: is 'decimal' or 'percent', not '\(other)'")
        }
    }

    /// `{{ 24.5 | format_currency: 'EUR' }}`: `€24.50` in English, `24,50 €` in French, `‏24.50 €` in Arabic; the
    /// currency's own fraction digits (none for JPY) unless `decimals:` says.
    static let formatCurrency: Filter = { input, arguments, context in
        try arguments.expect("format_currency", min: 1, max: 1)
        let value = try number(input, "format_currency")
        let written = arguments[0]!.description
        // Three letters A to Z, in either case: packed into one number, the code's key.
        var packed: UInt32 = 0, letters = 0
        for byte in written.utf8 {
            letters += 1
            guard letters <= 3, (byte & 0xDF) >= 65, (byte & 0xDF) <= 90 else { letters = 0; break }
            packed = packed << 8 | UInt32(byte & 0xDF)
        }
        guard letters == 3 else {
            throw LiquidError(.argument, "format_currency: '\(written.uppercased())' is not an ISO 4217 currency code such as EUR")
        }
        let decimals = try decimals(arguments, "format_currency")
        let (locale, identifier, number) = formatting(context)
        return .string(Formatters.currency(value, code: packed, decimals: decimals, locale: locale, identifier: identifier,
                                           number: number))
    }

    /// `{{ user.signed_up_at | format_date: 'long' }}`: `short`, `medium`, `long` or `full`, or a CLDR skeleton of
    /// the fields wanted (`MMMMd` is "November 23" in English, "23 novembre" in French, "11月23日" in Chinese), in
    /// the user's zone and locale.
    static let formatDate: Filter = { input, arguments, context in
        try arguments.expect("format_date", min: 0, max: 1)
        guard let date = try instant("format_date", input, context) else { return .string("") }
        let style = arguments[0]?.description ?? "medium"
        let dateStyle = dateStyles[style]
        // A skeleton: the fields, in any order; the locale's pattern for them orders and punctuates.
        guard dateStyle != nil
            || (!style.isEmpty && style.count <= 24 && style.unicodeScalars.allSatisfy({ skeletonLetters.contains($0) }))
        else {
            throw LiquidError(.argument, "format_date: '\(style)' is neither short, medium, long or full nor a skeleton such as yMMMd")
        }
        let (locale, identifier, _) = formatting(context)
        let zone = FormatFilters.zone(context)
        let key = identifier + "|" + zone.identifier + "|" + style
        let memo = Formatters.Instant(key: key, time: date.timeIntervalSince1970)
        if let known = Formatters.formattedDates.withLock({ $0[memo] }) { return .string(known) }
        let text = Formatters.dates.with(key, make: {
            let formatter = DateFormatter()
            formatter.locale = locale
            formatter.timeZone = zone
            if let dateStyle { formatter.dateStyle = dateStyle } else { formatter.setLocalizedDateFormatFromTemplate(style) }
            return formatter
        }) { $0.string(from: date) }
        Formatters.formattedDates.withLock { cache in
            if cache.count >= Formatters.remembered { cache.removeAll(keepingCapacity: true) }
            cache[memo] = text
        }
        return .string(text)
    }

    /// The instant `filter` formats: nil for nil or empty input (which formats as nothing), else a date in the years
    /// 1 to 9999 in the user's zone, or an error. Beyond those years ICU writes nothing or years no reader means (the `date` filter,
    /// Shopify's, keeps Ruby's any-year behaviour); they are nearly always a time in milliseconds read as seconds, which
    /// the error says.
    static func instant(_ filter: String, _ input: Value, _ context: Context) throws -> Date? {
        guard let date = context.time(from: input) else {
            if input.isNil || input.description.isEmpty { return nil }
            throw LiquidError(.argument, "\(filter): \(input.description.prefix(40)) is not a date")
        }
        // The years on the user's calendar: in their zone, the range's last second in UTC is already in 10000. An
        // offset is under a day, so the zone is asked only within a day of either end.
        let seconds = date.timeIntervalSince1970
        let inRange = (earliestDate + 86_400...latestDate - 86_400).contains(seconds)
            || ((earliestDate - 86_400...latestDate + 86_400).contains(seconds)
                && (earliestDate...latestDate).contains(seconds + Double(zone(context).secondsFromGMT(for: date))))
        guard inRange else {
            let hint = seconds > latestDate && seconds / 1000 <= latestDate
                ? " (a time in milliseconds? dates are seconds since 1970)" : ""
            throw LiquidError(.argument, "\(filter): \(input.description.prefix(40)) is outside the years 1 to 9999\(hint)")
        }
        return date
    }

    /// The user's zone, UTC when the render has none.
    static func zone(_ context: Context) -> TimeZone { context.timeZone ?? utc }
    static let utc = TimeZone(identifier: "UTC")!

    /// 0001-01-01T00:00:00 and 9999-12-31T23:59:59 in seconds since 1970 (on a wall clock: UTC, or the user's with
    /// their offset added).
    static let earliestDate: TimeInterval = -62_135_596_800, latestDate: TimeInterval = 253_402_300_799

    static let dateStyles: [String: DateFormatter.Style] = ["short": .short, "medium": .medium, "long": .long, "full": .full]
    static let skeletonLetters = Set("GyYuUrQqMLlwWdDFgEecabBhHkKjJCmsSAzZOvVXx".unicodeScalars)

    /// `{{ trial_ends_at | format_relative }}`: how far a time is from now in the unit that suits it, in words:
    /// "in 3 days", "dans 3 jours", "بعد 3 أيام", "3天后"; days count calendar days in the user's zone.
    static let formatRelative: Filter = { input, arguments, context in
        try arguments.expect("format_relative", min: 0, max: 0)
        guard let date = try instant("format_relative", input, context) else { return .string("") }
        let (count, field, unit) = distance(from: context.now, to: date, zone: zone(context))
        var style = Date.RelativeFormatStyle(presentation: .numeric, unitsStyle: .wide)
        style.locale = locale(context)
        style.allowedFields = [field]
        // The style measures from the clock; it is given the same distance from it. Days and weeks it counts by the
        // calendar, so the distance is whole days and a second (a quarter day more would cross midnight for six hours
        // of every day); the other units a quarter unit inside the count, so neither rounding nor the microseconds
        // between here and there change it.
        let sign: Double = count < 0 ? -1 : 1
        let offset = field == .day || field == .week ? Double(count) * unit + sign : (Double(count) + sign * 0.25) * unit
        return .string(Date().addingTimeInterval(offset).formatted(style))
    }

    /// The whole units from `now` to `date` in the largest unit that has one (seconds below a minute, then minutes,
    /// hours, calendar days in `zone` up to a week, weeks up to a month, months up to a year, then years).
    static func distance(from now: Date, to date: Date, zone: TimeZone) -> (Int, Date.RelativeFormatStyle.Field, Double) {
        let seconds = date.timeIntervalSince(now)
        let magnitude = abs(seconds)
        let sign = seconds < 0 ? -1 : 1
        if magnitude < 60 { return (sign * Int(magnitude), .second, 1) }
        if magnitude < 3600 { return (sign * Int(magnitude / 60), .minute, 60) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 0
        if magnitude < 86_400 && days == 0 { return (sign * Int(magnitude / 3600), .hour, 3600) }
        if abs(days) < 7 { return (days, .day, 86_400) }
        if abs(days) < 30 { return (days / 7, .week, 7 * 86_400) }
        if abs(days) < 365 { return (days / 30, .month, 30 * 86_400) }
        return (days / 365, .year, 365 * 86_400)
    }

    /// `{{ names | format_list }}`: "a, b and c" in English, "a, b et c" in French, "a، وb وc" in Arabic;
    /// `type: 'or'` for alternatives.
    static let formatList: Filter = { input, arguments, context in
        try arguments.expect("format_list", min: 0, max: 0)
        let items: [String]
        switch input {
        case .array(let a): items = a.map(\.description)
        case .null, .empty, .blank: items = []
        default: items = [input.description]
        }
        switch arguments.keyword("type")?.description ?? "and" {
        case "and": return .string(items.formatted(.list(type: .and).locale(locale(context))))
        case "or": return .string(items.formatted(.list(type: .or).locale(locale(context))))
        case let other: throw LiquidError(.argument, "format_list: type: is 'and' or 'or', not '\(other)'")
        }
    }
}

/// Foundation's formatters of one kind, made once per key (locale, zone, style...) and lent to one thread at a time:
/// making one costs ICU many times what formatting with it does (a date formatter about 100 µs, the most of a
/// banner's render before they were kept).
final class Shelf<F: AnyObject>: Sendable {
    /// A formatter in use by one thread only: taken from the shelf, used, given back.
    private final class Lent: @unchecked Sendable {
        let formatter: F
        init(_ formatter: F) { self.formatter = formatter }
    }

    private let kept = Mutex<[String: [Lent]]>([:])

    /// `use` with a formatter for `key`, made by `make` when none is free.
    func with<T>(_ key: String, make: () -> F, _ use: (F) -> T) -> T {
        let lent = kept.withLock { $0[key]?.popLast() } ?? Lent(make())
        let result = use(lent.formatter)
        // Kept for the next render; a few per key, however many threads there were at once.
        kept.withLock { if $0[key, default: []].count < 16, $0.count < 1024 { $0[key, default: []].append(lent) } }
        return result
    }
}

/// ICU's currency and date formatters, made once per locale and what they format and lent to one render at a time:
/// making one (Foundation's format styles make or look one up on every call) costs several times what formatting does.
enum Formatters {
    private static let currencies = Shelf<NumberFormatter>()
    static let dates = Shelf<DateFormatter>()

    /// Amounts already formatted, by locale, currency, precision and amount: a content set prints the same prices
    /// (a plan's, a catalog's few hundred) over and over, and formatting one costs ICU about ten microseconds. A
    /// pure function's results, kept up to a bound and then started afresh.
    private static let formatted = Mutex<[Amount: String]>([:])
    static let remembered = 16_384

    /// Dates already formatted, by formatter (locale, zone, style) and instant: content prints the same few dates
    /// (a release's, a trial's end) to everyone; kept as amounts are.
    static let formattedDates = Mutex<[Instant: String]>([:])

    struct Instant: Hashable {
        let key: String
        let time: Double
    }

    /// An amount as it is remembered: the locale's ``ServedLocale/formatNumber`` (0 for English with no locale set),
    /// the code's three letters packed, the precision and the value.
    struct Amount: Hashable {
        let locale: Int
        let code: UInt32
        let decimals: Int
        let value: UInt64
    }

    /// `value` in the currency whose code's letters are packed in `packed`, as `locale` (whose identifier is
    /// `identifier`, numbered `number` for the cache; nil, not cached) writes it.
    static func currency(_ value: Double, code packed: UInt32, decimals: Int?, locale: Locale, identifier: String,
                         number: Int?) -> String
    {
        let memo = number.map { Amount(locale: $0, code: packed, decimals: decimals ?? -1, value: value.bitPattern) }
        if let memo, let known = formatted.withLock({ $0[memo] }) { return known }
        let code = String(decoding: [UInt8(packed >> 16 & 0xFF), UInt8(packed >> 8 & 0xFF), UInt8(packed & 0xFF)], as: UTF8.self)
        let key = identifier + "|" + code + "|" + (decimals.map(String.init) ?? "")
        let text = format(value, key: key, code: code, decimals: decimals, locale: locale)
        if let memo {
            formatted.withLock { cache in
                if cache.count >= remembered { cache.removeAll(keepingCapacity: true) }
                cache[memo] = text
            }
        }
        return text
    }

    private static func format(_ value: Double, key: String, code: String, decimals: Int?, locale: Locale) -> String {
        currencies.with(key, make: {
            let f = NumberFormatter()
            f.locale = locale
            f.numberStyle = .currency
            f.currencyCode = code
            if let decimals {
                f.minimumFractionDigits = decimals
                f.maximumFractionDigits = decimals
            }
            return f
        }) { $0.string(from: NSNumber(value: value)) ?? String(value) }
    }
}
