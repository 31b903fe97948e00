import Foundation
import Localization
import Testing

/// Every sample number CLDR gives for every locale and category in its `plurals.xml` (the fixture, a copy of
/// Debian's `unicode-cldr-core` file, licence in `Fixtures/CLDR.LICENSE`) takes that category.
@Suite struct PluralRuleTests {
    static let fixture: PluralRules = {
        let url = Bundle.module.url(forResource: "Fixtures/plurals", withExtension: "xml")!
        return try! PluralRules(xml: String(contentsOf: url, encoding: .utf8))
    }()

    /// The numbers a sample list names: `2~17` and `0.0~1.5` are ranges (stepping by the last digit written),
    /// `1c6` and `1.1c6` compact forms; `…` ends a list.
    static func samples(_ list: Substring) -> [String] {
        var out: [String] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty && item != "…" {
            let ends = item.split(separator: "~").map(String.init)
            guard ends.count == 2 else { out.append(item); continue }
            let digits = ends[0].split(separator: ".").dropFirst().first?.count ?? 0
            let scale = Int(pow(10, Double(digits)))
            let low = Int((Double(ends[0])! * Double(scale)).rounded()), high = Int((Double(ends[1])! * Double(scale)).rounded())
            for k in low...high {
                out.append(digits == 0 ? String(k) : String(k / scale) + "." + String(repeating: "0", count: digits - String(k % scale).count) + String(k % scale))
            }
        }
        return out
    }

    @Test func everySampleOfEveryLocaleTakesItsCategory() throws {
        let rules = Self.fixture
        var checked = 0
        var wrong: [String] = []
        for (locale, list) in rules.sources {
            let rule = try #require(rules.rules[locale])
            for (category, text) in list {
                for part in text.split(separator: "@").dropFirst() {
                    let kind = part.prefix { $0.isLetter }
                    for sample in Self.samples(part.dropFirst(kind.count)) {
                        let operands = try #require(PluralOperands(sample), "\(locale) \(sample)")
                        checked += 1
                        if rule.category(operands) != category {
                            wrong.append("\(locale) \(sample): \(rule.category(operands)), CLDR says \(category)")
                        }
                    }
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(20))")
        #expect(rules.sources.count > 200)
        #expect(checked > 10_000, "\(checked)")
    }

    @Test func theCompiledInRulesAreTheFixture() {
        #expect(PluralRules.cldr.sources.keys.sorted() == Self.fixture.sources.keys.sorted())
        for (locale, list) in Self.fixture.sources {
            #expect(PluralRules.cldr.sources[locale]?.map { "\($0.0)=\($0.1)" } == list.map { "\($0.0)=\($0.1)" })
        }
    }

    @Test func arabicHasSixCategoriesAndFrenchTreatsZeroAsOne() {
        let ar = PluralRules.cldr.rule(for: LocaleTag("ar-EG"))
        #expect(ar.categories == [.zero, .one, .two, .few, .many, .other])
        #expect([0, 1, 2, 3, 11, 100].map { ar.category(of: $0) } == [.zero, .one, .two, .few, .many, .other])
        let fr = PluralRules.cldr.rule(for: LocaleTag("fr-CA"))
        #expect(fr.category(of: 0) == .one && fr.category(of: 2) == .other && fr.category(of: 1_000_000) == .many)
        // English: 1 is one, 1.0 is other (a visible fraction digit).
        let en = PluralRules.cldr.rule(for: LocaleTag("en"))
        #expect(en.category(PluralOperands("1")!) == .one && en.category(PluralOperands("1.0")!) == .other)
        // Chinese and Japanese have one form; a language CLDR lacks falls back to root's.
        #expect(PluralRules.cldr.rule(for: LocaleTag("zh-Hans")).categories == [.other])
        #expect(PluralRules.cldr.rule(for: LocaleTag("tlh")).categories == [.other])
        // pt-PT has its own rules, pt-BR takes pt's: 0 is one in Brazil, other in Portugal.
        #expect(PluralRules.cldr.rule(for: LocaleTag("pt-BR")).category(of: 0) == .one)
        #expect(PluralRules.cldr.rule(for: LocaleTag("pt-PT")).category(of: 0) == .other)
    }

    @Test func operandsOfNumbersAsWritten() {
        #expect(PluralOperands("1.50")?.description == "i=1 v=2 w=1 f=50 t=5 e=0")
        #expect(PluralOperands("1.2c3")?.description == "i=1200 v=0 w=0 f=0 t=0 e=3")
        #expect(PluralOperands("1.0000001c6")?.description == "i=1000000 v=1 w=1 f=1 t=1 e=6")
        #expect(PluralOperands("-3")?.description == "i=3 v=0 w=0 f=0 t=0 e=0")
        for bad in ["", "1.", ".5", "1e", "abc", "1..2", "1c9999"] { #expect(PluralOperands(bad) == nil, "\(bad)") }
    }

    @Test func anIntegersOperandsAreThoseOfItsDigits() {
        // Integers take a short way; past 18 digits they are read as written (the last 18 digits, flagged huge).
        let edges = [0, 1, -1, 7, 21, 101, 1_000_000, 999_999_999_999_999_999, 1_000_000_000_000_000_000, Int.max, Int.min]
        for n in edges + (0..<2000).map({ $0 * 7919 - 5000 }) {
            #expect(PluralOperands(n) == PluralOperands(String(n)), "\(n)")
        }
    }
}

@Suite struct LocaleTagTests {
    @Test func canonicalCase() throws {
        let cases = ["fr_ca": "fr-CA", "ZH-hant-tw": "zh-Hant-TW", "en": "en", "es-419": "es-419", "sr-latn-rs": "sr-Latn-RS",
                     "de-CH-1996": "de-CH-1996", "en-US-u-ca-gregory": "en-US-u-ca-gregory", "zh-yue-HK": "zh-yue-HK",
                     "x-private": nil, "en-x-twain": "en-x-twain",
                     // Several extensions, then private use.
                     "de-u-co-phonebk-x-priv": "de-u-co-phonebk-x-priv", "en-A-bbb-B-ccc": "en-a-bbb-b-ccc",
                     "ar-u-nu-arab-t-en": "ar-u-nu-arab-t-en",
                     // x may be a private-use subtag; a long language is not a variant it repeats.
                     "en-x-a-x": "en-x-a-x", "abcde-abcde": "abcde-abcde"] as [String: String?]
        for (text, expected) in cases {
            if let expected {
                #expect(try LocaleTag(parsing: text).identifier == expected, "\(text)")
            } else {
                #expect(throws: LocaleTagError.self) { try LocaleTag(parsing: text) }
            }
        }
    }

    /// A tag already in canonical form is taken as written; spelled otherwise (lower case, `_`) it is read in full:
    /// both readings give the same subtags. Near misses of the canonical shapes are still read, or refused, in full.
    @Test func canonicalTagsReadAsTheirOtherSpellings() throws {
        for canonical in ["fr", "fil", "fr-CA", "zh-Hans", "zh-Hant-TW", "es-419", "sr-Latn-RS", "yue-Hant", "ast-ES"] {
            let other = canonical.lowercased().replacingOccurrences(of: "-", with: "_")
            let fast = try LocaleTag(parsing: canonical), full = try LocaleTag(parsing: other)
            #expect(fast == full && fast.subtags == full.subtags && fast.identifier == canonical, "\(canonical)")
        }
        for (text, expected) in ["fr-ca": "fr-CA", "zh-hans": "zh-Hans", "zh-Hant-tw": "zh-Hant-TW", "zh-yue": "zh-yue",
                                 "Fr-CA": "fr-CA", "fr-CA-x-a": "fr-CA-x-a", "de-CH-1996": "de-CH-1996"] {
            #expect(try LocaleTag(parsing: text).identifier == expected, "\(text)")
        }
        for bad in ["fr-", "-fr", "fr-CA-", "fr-12", "f-CA", "frenc-CA-"] {
            #expect(throws: LocaleTagError.self, "\(bad)") { try LocaleTag(parsing: bad) }
        }
    }

    @Test func refusesWhatIsNotATag() {
        for bad in ["", "e", "english!", "fr--CA", "fr-", "1234", "fr-CA-u", "en-a-b", "toolongtag", "de-1996-1996",
                    "en-u-nu-arab-u-ca-gregory", "en-a-bbb-x", "en-GB-oed",
                    "fr-x", String(repeating: "a-", count: 40) + "a"]
        {
            #expect(throws: LocaleTagError.self, "\(bad)") { try LocaleTag(parsing: bad) }
        }
    }

    @Test func truncationsDropTheLastSubtagAndAnOrphanSingleton() {
        #expect(LocaleTag("zh-Hant-TW").truncations.map(\.identifier) == ["zh-Hant", "zh"])
        #expect(LocaleTag("en-US-u-ca-gregory").truncations.map(\.identifier) == ["en-US-u-ca", "en-US", "en"])
        #expect(LocaleTag("fr").truncations.isEmpty)
        #expect(LocaleTag("zh-Hant-TW").script == "Hant" && LocaleTag("zh-Hant-TW").region == "TW" && LocaleTag("es-419").region == "419")
    }
}

@Suite struct AcceptLanguageTests {
    @Test func byWeightThenOrderWithoutStarsZerosAndNonTags() {
        let header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5, xx_!;q=0.95, ja;q=0, es;q=0.8"
        #expect(AcceptLanguage.parse(header).map(\.identifier) == ["fr-CH", "fr", "en", "es", "de"])
        #expect(AcceptLanguage.parse("").isEmpty && AcceptLanguage.parse("*").isEmpty)
        #expect(AcceptLanguage.parse("zh-hant-tw;q=1.5, ar").map(\.identifier) == ["ar"])
    }

    @Test func theBestIsTheFirstTheContentSpeaks() {
        let catalogs = [LocaleTag("fr"), LocaleTag("en")].reduce(into: [LocaleTag: LocaleCatalog]()) {
            $0[$1] = LocaleCatalog(tag: $1, file: "locales/\($1).json", entries: [:])
        }
        let t = Translations(defaultLocale: LocaleTag("en"), catalogs: catalogs)
        #expect(t.best(of: AcceptLanguage.parse("ja, fr-CA;q=0.8, en;q=0.5")) == LocaleTag("fr-CA"))
        #expect(t.best(of: AcceptLanguage.parse("ja, en-GB;q=0.8")) == LocaleTag("en-GB"))
        #expect(t.best(of: AcceptLanguage.parse("ja")) == LocaleTag("ja"))
        #expect(t.best(of: []) == nil)
    }
}
