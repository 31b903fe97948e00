import Content
import Delivery
import Foundation
import Liquid
import Localization
import Personalization
import Testing

/// The format filters against Babel (PyPI's CLDR library): `Fixtures/babel-formats.json`, written by
/// `scripts/make-babel-formats.py`, formats a table of locales x values; every row must come out the same here, or be
/// one of the differences below, each with its reason (the README lists them too).
@Suite("Local formats, compared with Babel")
struct FormatFilterTests {
    struct Row: Decodable {
        let locale: String
        let kind: String
        let input: Input
        let babel: String
    }

    enum Input: Decodable {
        case number(Double), text(String), money(Double, String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d); return }
            if let s = try? c.decode(String.self) { self = .text(s); return }
            var pair = try decoder.unkeyedContainer()
            self = .money(try pair.decode(Double.self), try pair.decode(String.self))
        }
    }

    struct Table: Decodable {
        let zone: String
        let instant: String
        let rows: [Row]
    }

    static let table: Table = {
        let url = Bundle.module.url(forResource: "Fixtures/babel-formats", withExtension: "json")!
        return try! JSONDecoder().decode(Table.self, from: Data(contentsOf: url))
    }()

    /// The Liquid a row is, in the filter's words.
    static func source(_ row: Row) -> String {
        switch (row.kind, row.input) {
        case ("number", .number(let n)): return "{{ \(n) | format_number }}"
        case ("percent", .number(let n)): return "{{ \(n) | format_number: style: 'percent' }}"
        case ("currency", .money(let amount, let code)): return "{{ \(amount) | format_currency: '\(code)' }}"
        case ("date", .text(let style)): return "{{ '\(table.instant)' | format_date: '\(style)' }}"
        case ("relative", .number): return "{{ when | format_relative }}"
        case ("list", .text(let type)): return "{{ names | format_list: type: '\(type)' }}"
        default: fatalError("row \(row.kind)")
        }
    }

    /// Renders one row's Liquid for a user in the row's locale and the table's zone.
    static func render(_ row: Row, delivery: DeliveryContent) throws -> String {
        let now = Timestamp.parse(table.instant)!
        var data = LiquidObject([("names", .array(["Ada", "Hana", "Layla"].map(Value.string)))])
        if case .number(let days) = row.input, row.kind == "relative" {
            data["when"] = .string(Timestamp.format(now.addingTimeInterval(days * 86_400)))
        }
        let profile = Profile(id: "u", timeZone: TimeZone(identifier: table.zone)!, locale: try LocaleTag(parsing: row.locale))
        let user = UserMoment(profile: profile, now: now, stageRules: delivery.content.stageRules)
        var options = delivery.renderOptions(for: user, autoescape: false)
        options.now = now
        return try delivery.content.environment.parse(source(row)).render(.object(data), options: options)
    }

    /// Where Foundation's ICU (ICU 76, CLDR 46) and Babel 2.19 (CLDR 47) part, and why. A difference is explained
    /// when the row's locale is one the reason is about and one of these, applied to both sides, makes them equal;
    /// the README lists the same reasons.
    static let reasons: [(String, applies: @Sendable (Row) -> Bool, normalize: @Sendable (String) -> String)] = [
        // ICU writes CLDR's bidi marks: U+200E around Arabic and Hebrew minus and percent signs, U+061C before
        // Arabic-Indic ones, U+2068/U+2069 isolating each item of a right-to-left list; Babel writes none. Only in
        // right-to-left locales.
        ("bidi marks", { row in rightToLeft(row.locale) }, { $0.filter { !bidiMarks.contains($0) } }),
        // ar-EG: ICU writes CLDR's default numbering system for it, Arabic-Indic digits and percent sign; Babel
        // swaps in that system's separators but writes Latin digits and %. Only where that default is not Latin.
        ("native digits", { row in Locale(identifier: row.locale).numberingSystem.identifier != "latn" }, { text in
            String(text.unicodeScalars.map { s -> Character in
                if (0x0660...0x0669).contains(s.value) { return Character(Unicode.Scalar(s.value - 0x0660 + 0x30)!) }
                if s.value == 0x066A { return "%" }
                return Character(s)
            }).filter { !bidiMarks.contains($0) }
        }),
        // Spanish: CLDR's minimumGroupingDigits is 2, so a four-digit number has no separator; ICU follows it,
        // Babel groups anyway. Only in locales where ICU leaves 1234 ungrouped.
        ("minimum grouping digits", { row in 1234.formatted(IntegerFormatStyle<Int>(locale: Locale(identifier: row.locale))) == "1234" },
         { $0.replacingOccurrences(of: ".", with: "") }),
    ]

    static let bidiMarks: Set<Character> = ["\u{200E}", "\u{061C}", "\u{2068}", "\u{2069}"]

    static func rightToLeft(_ locale: String) -> Bool {
        (try? LocaleTag(parsing: locale)).map { TextDirection(of: $0) == .rtl } ?? false
    }

    /// Rows where the two carry different CLDR data (46 in ICU, 47 in Babel), or Babel adds to CLDR's text: ours
    /// as it must stay.
    static let dataDifferences: [String: String] = [
        // CLDR 46's Arabic long and full dates put a comma before the year; 47 dropped it.
        "ar date long": "23 نوفمبر، 2026", "ar date full": "الاثنين، 23 نوفمبر، 2026", "ar date yMMMd": "23 نوفمبر، 2026",
        "ar-EG date long": "٢٣ نوفمبر، ٢٠٢٦", "ar-EG date full": "الاثنين، ٢٣ نوفمبر، ٢٠٢٦", "ar-EG date yMMMd": "٢٣ نوفمبر، ٢٠٢٦",
        // CLDR 47 writes the yen full width in Japanese, and no space before the weekday in Japanese and Chinese.
        "ja currency 1234.5 JPY": "¥1,234", "ja date full": "2026年11月23日 月曜日", "zh-Hans date full": "2026年11月23日 星期一",
        // Hebrew: CLDR 46 writes "and" as ו- before a Latin word; Babel adds the count in brackets to patterns
        // that spell it out ("a day ago", "in two weeks").
        "he list and": "\u{2068}Ada\u{2069}, \u{2068}Hana\u{2069} ו-\u{2068}Layla\u{2069}", "he relative -1": "לפני יום 1",
        "he relative 14": "בעוד שבועיים",
    ]

    static func key(_ row: Row) -> String {
        switch row.input {
        case .number(let n): return "\(row.locale) \(row.kind) \(n == n.rounded() ? String(Int(n)) : String(n))"
        case .text(let t): return "\(row.locale) \(row.kind) \(t)"
        case .money(let a, let c): return "\(row.locale) \(row.kind) \(a) \(c)"
        }
    }

    @Test func everyRowIsBabelsOrAnExplainedDifference() throws {
        // A catalog per locale of the table, so each reader's text is in their language and formats in it.
        var files = ["banners/x.liquid": "---\ncampaign: x\nchannel: banner\nplacement: x\n---\nx\n"]
        for locale in Set(Self.table.rows.map(\.locale)) { files["locales/\(locale).json"] = "{}" }
        let delivery = try DeliveryContent.load(files: files)
        var unexplained: [String] = []
        var explained: [String: Int] = [:]
        for row in Self.table.rows {
            let ours = try Self.render(row, delivery: delivery)
            if ours == row.babel { continue }
            if let expected = Self.dataDifferences[Self.key(row)] {
                #expect(ours == expected, "\(Self.key(row))")
                explained["CLDR data", default: 0] += 1
                continue
            }
            if let reason = Self.reasons.first(where: { $0.applies(row) && $0.normalize(ours) == $0.normalize(row.babel) }) {
                explained[reason.0, default: 0] += 1
                continue
            }
            unexplained.append("\(Self.key(row)): ours \(ours.debugDescription), Babel \(row.babel.debugDescription)")
        }
        #expect(unexplained.isEmpty, "\(unexplained)")
        // Most rows are the same: the differences are the few kinds above.
        #expect(Self.table.rows.count == 308 && explained.values.reduce(0, +) < 60, "\(explained)")
    }

    @Test("formatters kept between renders are kept per zone and locale: one instant alternately for Auckland and Los Angeles, in English and French")
    func keptFormattersDoNotCross() throws {
        let files = ["banners/x.liquid": "---\ncampaign: x\nchannel: banner\nplacement: x\n---\nx\n",
                     "locales/en.json": "{}", "locales/fr.json": "{}"]
        let delivery = try DeliveryContent.load(files: files)
        let now = Timestamp.parse("2026-11-18T20:00:00Z")!
        func date(_ zone: String, _ locale: String, _ style: String) throws -> String {
            let profile = Profile(id: "u", timeZone: TimeZone(identifier: zone)!, locale: try LocaleTag(parsing: locale))
            var options = delivery.renderOptions(for: UserMoment(profile: profile, now: now, stageRules: delivery.content.stageRules),
                                                 autoescape: false)
            options.now = now
            return try delivery.content.environment.parse("{{ '2026-11-18T20:00:00Z' | format_date: '\(style)' }}")
                .render(.object(LiquidObject()), options: options)
        }
        for _ in 0..<3 {
            #expect(try date("Pacific/Auckland", "en", "MMMMd") == "November 19")
            #expect(try date("America/Los_Angeles", "en", "MMMMd") == "November 18")
            #expect(try date("Pacific/Auckland", "fr", "long") == "19 novembre 2026")
            #expect(try date("America/Los_Angeles", "fr", "long") == "18 novembre 2026")
        }
    }
}
