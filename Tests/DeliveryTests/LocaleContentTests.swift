import Content
import Delivery
import Diagnostics
import Foundation
import Liquid
import Localization
import Personalization
import Testing

/// A content set's languages beyond the `t` filter: campaigns limited to locales, bodies per locale, which keys a
/// render took from a fallback, and what `check` finds in the locale files.
@Suite("Locales in content and check")
struct LocaleContentTests {
    static let files: [String: String] = [
        "locales/en.json": #"{"a": {"hi": "Hi {{ name }}", "n": {"one": "{{ count }} day", "other": "{{ count }} days"}, "unused": "x"}}"#,
        "locales/fr.json": #"{"a": {"hi": "Salut"}}"#,
        "locales/ar.json": #"{"a": {"hi": "مرحبا {{ name }}", "n": {"one": "يوم", "other": "{{ count }} يوم"}, "bad_html": "<b>x"}}"#,
        "banners/fr-only.liquid": "---\ncampaign: fr-only\nchannel: banner\nplacement: hero\npriority: 10\nlocales: [fr]\n---\n<p>{{ 'a.hi' | t: name: user.name }}</p>\n",
        "banners/all.liquid": "---\ncampaign: all\nchannel: banner\nplacement: hero\n---\n<p>{{ 'a.hi' | t: name: user.name }} · {{ 'a.n' | t: count: 2 }}</p>\n",
        "banners/all.ar.liquid": "<p dir=\"rtl\">{{ 'a.hi' | t: name: user.name }}</p>\n",
        "profiles/sam.json": #"{"id": "sam", "traits": {"name": "Sam"}}"#,
    ]

    static func serve(_ locale: String, files: [String: String] = files, zone: String = "UTC") throws -> DeliveryOutcome {
        let delivery = try DeliveryContent.load(files: files, loadedAt: checkedAt)
        let profile = Profile(id: "u", traits: LiquidObject([("name", "Sam")]), timeZone: TimeZone(identifier: zone)!,
                              locale: LocaleTag(locale))
        let user = UserMoment(profile: profile, now: checkedAt, stageRules: delivery.content.stageRules)
        return delivery.deliver(.placement("hero"), to: user, history: InteractionHistory())[0]
    }

    /// The set with one banner in the slot, `body` its only body (no other locale's).
    static func only(_ body: String) -> [String: String] {
        var files = Self.files
        files["banners/fr-only.liquid"] = nil
        files["banners/all.ar.liquid"] = nil
        files["banners/all.liquid"] = "---\ncampaign: all\nchannel: banner\nplacement: hero\n---\n" + body + "\n"
        return files
    }

    static func html(_ outcome: DeliveryOutcome) -> String? {
        guard case .block(let block)? = outcome.output else { return nil }
        return block.campaign.id + ": " + block.html
    }

    @Test func theEmbedScriptsWordsAreUsedAndALocaleLackingOneIsReported() throws {
        var files = Self.files
        files["locales/fr.json"] = #"{"a": {"hi": "Salut"}, "stagecraft": {"ui": {"next": "Suivant"}}}"#
        let check = ContentCheck.run(directory: try contentFolder(files), now: checkedAt)
        #expect(!check.findings.contains { $0.code == "unused-translation" && $0.message.contains("stagecraft.ui") })
        let lacking = check.findings.filter { $0.code == "missing-translation" && $0.message.contains("stagecraft.ui.next") }
        #expect(lacking.compactMap(\.file).sorted() == ["locales/ar.json", "locales/en.json"])
        // Neither falls back to French: their readers get the embed script's English.
        #expect(lacking.allSatisfy { $0.severity == .warning && $0.message.hasSuffix("from English") })
        #expect(check.locales.first { $0.locale == LocaleTag("en") }?.missing.contains("stagecraft.ui.next") == true)
        #expect(check.locales.first { $0.locale == LocaleTag("fr") }?.missing.contains("stagecraft.ui.next") == false)
    }

    @Test func aCampaignLimitedToLocalesIsNotSentHalfTranslated() throws {
        #expect(Self.html(try Self.serve("fr-CA")) == "fr-only: <p>Salut</p>\n")
        // An English reader: fr-only says why it was passed over, and the next candidate is served.
        let english = try Self.serve("en")
        #expect(Self.html(english) == "all: <p>Hi Sam · 2 days</p>\n")
        let rejection = english.decision.trace.first { $0.campaign == "fr-only" }?.rejection
        #expect(rejection?.code == "locale")
        #expect(rejection?.description == "user is served in en; the campaign is written in fr")
    }

    @Test func aBodyPerLocaleWhenTheTranslationNeedsItsOwn() throws {
        #expect(Self.html(try Self.serve("ar-AE")) == "all: <p dir=\"rtl\">مرحبا <bdi>Sam</bdi></p>\n")
        #expect(Self.html(try Self.serve("en"))?.hasPrefix("all: <p>Hi Sam") == true)
        // The body is its message's, not a partial a template may render.
        let content = try DeliveryContent.load(files: Self.files, loadedAt: checkedAt).content
        #expect(content.partials["banners/all.ar"] == nil && content.messages["banners/all"]?.localeBodies.count == 1)
    }

    @Test func dataInALanguageReplacesTheGlobalsForItsReaders() throws {
        var files = Self.files
        files["banners/fr-only.liquid"] = nil
        files["banners/all.liquid"] = "---\ncampaign: all\nchannel: banner\nplacement: hero\n---\n<p>{{ news.title }} {{ brand }}</p>\n"
        files["banners/all.ar.liquid"] = nil
        files["globals.yml"] = "brand: Northwind\nnews: { title: Dark mode }\n"
        files["globals.fr.yml"] = "news: { title: Mode sombre }\n"
        #expect(Self.html(try Self.serve("fr-CA", files: files)) == "all: <p>Mode sombre Northwind</p>\n")
        #expect(Self.html(try Self.serve("en", files: files)) == "all: <p>Dark mode Northwind</p>\n")
        files["globals.fr.yml"] = "news: { title: Mode sombre }\nslogan: x\n"
        #expect(throws: ContentError.self) { try Self.serve("fr", files: files) }
    }

    @Test func theCatalogReadsInTheReadersLanguageFieldByField() throws {
        var files = Self.only("<p>{% for i in recommendations.top %}{{ i.title }} ({{ i.url }}) {% endfor %}</p>")
        files["recommendations.yml"] = "top: { strategy: popular, limit: 3 }\n"
        files["catalog.csv"] = "id,title,url,popularity,price\na,Mug,/mug,3,10\nb,Cap,/cap,2,12\nc,Lean Analytics,/book,1,30\n"
        files["catalog.fr.csv"] = "id,title,url\na,Tasse,/fr/tasse\nb,Casquette,\n"
        files["catalog.fr-CA.json"] = #"[{"id": "b", "title": "Tuque"}]"#
        files["locales/fr-CA.json"] = #"{"a": {"hi": "Allô"}}"#
        // Per field along the chain: fr-CA's title, else fr's; an empty cell falls back; an untranslated item keeps its own.
        #expect(Self.html(try Self.serve("fr-CA", files: files)) == "all: <p>Tasse (/fr/tasse) Tuque (/cap) Lean Analytics (/book) </p>\n")
        #expect(Self.html(try Self.serve("fr-FR", files: files)) == "all: <p>Tasse (/fr/tasse) Casquette (/cap) Lean Analytics (/book) </p>\n")
        #expect(Self.html(try Self.serve("ar", files: files)) == "all: <p>Mug (/mug) Cap (/cap) Lean Analytics (/book) </p>\n")
        // What is missing is a warning naming the items; the content still loads.
        let loaded = try DeliveryContent.load(files: files, loadedAt: checkedAt).content
        let missing = loaded.warnings.filter { $0.location.file == "catalog.fr.csv" }.map(\.message)
        #expect(missing == ["item \"c\" is not translated here; its readers get the catalog's own text"])

        // A translation may not change what ranks items, nor name an item the catalog lacks, nor a locale in another form.
        func errors(_ name: String, _ text: String) -> [String] {
            var bad = files
            bad[name] = text
            do {
                _ = try DeliveryContent.load(files: bad, loadedAt: checkedAt)
                return []
            } catch {
                return error.diagnostics.filter { $0.severity == .error }.map { "\($0.location.file ?? ""):\($0.location.line): \($0.message)" }
            }
        }
        #expect(errors("catalog.fr.csv", "id,title,price\na,Tasse,9\n")
            == [#"catalog.fr.csv:2: "price" cannot differ by language: recommendations choose items by the catalog's own; translate text fields such as title"#])
        #expect(errors("catalog.fr.csv", "id,title\na,Tasse\nmugg,Tasse\na,Bol\n")
            == [#"catalog.fr.csv:3: no item "mugg" in the catalog"#, #"catalog.fr.csv:4: item "a" is translated twice"#])
        #expect(errors("catalog.FR.csv", "id,title\n")
            == ["catalog.FR.csv:1: catalog.<locale>.csv names a locale in canonical form (catalog.fr.csv, catalog.zh-Hans.csv)"])
    }

    @Test func numbersAndDatesFollowTheLanguageOfTheText() throws {
        let files = Self.only("<p>{{ 1234.5 | format_number }} {{ '2026-11-18' | format_date: 'MMMMd' }}</p>")
        // A Canadian reading French: Canadian French formats. A Russian served in English: English ones.
        #expect(Self.html(try Self.serve("fr-CA", files: files)) == "all: <p>1\u{A0}234,5 18 novembre</p>\n")
        #expect(Self.html(try Self.serve("ru-RU", files: files)) == "all: <p>1,234.5 November 18</p>\n")
    }

    @Test func aUsersOwnLocaleKeywordsNeverReachICU() throws {
        let files = Self.only("<p>{{ 12 | format_currency: 'EUR' }} {{ '2026-11-18' | format_date: 'long' }} {{ 'a.n' | t: count: 'lots' }}</p>")
        // An unknown numbering system in the reader's own tag is dropped, and a count that is no number is the other form.
        #expect(Self.html(try Self.serve("fr-u-nu-zzzz", files: files)) == "all: <p>12,00\u{A0}€ 18 novembre 2026 lots days</p>\n")
    }

    @Test func aCurrencyCodeIsThreeLettersInEitherCase() throws {
        #expect(Self.html(try Self.serve("fr", files: Self.only("<p>{{ 12 | format_currency: 'gbp' }} {{ 12 | format_currency: 'Eur' }}</p>")))
            == "all: <p>12,00\u{A0}£GB 12,00\u{A0}€</p>\n")
        for bad in ["GB", "GBPX", "G1P", "ÉUR", "", "E U"] {
            let failed = try Self.serve("fr", files: Self.only("<p>{{ 12 | format_currency: '\(bad)' }}</p>"))
            #expect(failed.output == nil, "\(bad)")
            #expect(failed.failures.first?.message.contains("is not an ISO 4217 currency code") == true, "\(bad): \(failed.failures)")
        }
    }

    @Test func datesOutsideTheYears1To9999AreAnError() throws {
        // The first and last seconds of the range format (in UTC, the content's zone here). ICU's Gregorian calendar
        // is Julian before October 1582, so the first day of the proleptic year 1 is its January 3.
        let edges = Self.html(try Self.serve("en", files: Self.only("<p>{{ -62135596800 | format_date: 'yMMMd' }} {{ 253402300799 | format_date: 'yMMMd' }}</p>")))
        #expect(edges == "all: <p>Jan 3, 1 Dec 31, 9999</p>\n")
        // A time in milliseconds read as seconds is some 55,000 years on, and said to be; the far ends of Int's range
        // are outside too, for both filters, instead of an empty string or "in 292 billion years".
        let cases = [("1795000000000", "format_date", " (a time in milliseconds? dates are seconds since 1970)"),
                     ("-62135596801", "format_date", ""), ("253402300800", "format_relative", " (a time in milliseconds? dates are seconds since 1970)"),
                     ("9223372036854775807", "format_relative", ""), ("-9223372036854775808", "format_date", "")]
        // The years are the user's: the range's last second in UTC is in the year 10000 in Tokyo, its first in the
        // year 0 in Los Angeles.
        for (time, zone) in [("253402300799", "Asia/Tokyo"), ("-62135596800", "America/Los_Angeles")] {
            let failed = try Self.serve("en", files: Self.only("<p>{{ \(time) | format_date }}</p>"), zone: zone)
            #expect(failed.failures.first?.message.hasSuffix("format_date: \(time) is outside the years 1 to 9999") == true,
                    "\(zone): \(failed.failures)")
        }
        for (time, filter, hint) in cases {
            let failed = try Self.serve("en", files: Self.only("<p>{{ \(time) | \(filter) }}</p>"))
            #expect(failed.output == nil, "\(time)")
            #expect(failed.failures.first?.message.hasSuffix("\(filter): \(time) is outside the years 1 to 9999\(hint)") == true,
                    "\(time): \(failed.failures)")
        }
    }

    @Test func anAmountFormattedForOneLocaleIsNotServedToAnother() throws {
        // The same amount in the same currency, from one content load, served in turn to readers of three locales
        // (each amount is formatted once and then remembered): each gets their own, a Canadian's French with its
        // own group separator.
        let delivery = try DeliveryContent.load(files: Self.only("<p>{{ 1234.5 | format_currency: 'EUR' }}</p>"), loadedAt: checkedAt)
        let expected = ["en": "€1,234.50", "fr": "1\u{202F}234,50\u{A0}€", "fr-CA": "1\u{A0}234,50\u{A0}€"]
        for _ in 0..<2 {
            for (tag, amount) in expected.sorted(by: { $0.key < $1.key }) {
                let profile = Profile(id: "u", traits: LiquidObject([("name", "Sam")]), locale: LocaleTag(tag))
                let user = UserMoment(profile: profile, now: checkedAt, stageRules: delivery.content.stageRules)
                let outcome = delivery.deliver(.placement("hero"), to: user, history: InteractionHistory())[0]
                #expect(Self.html(outcome) == "all: <p>\(amount)</p>\n", "\(tag)")
            }
        }
    }

    @Test func theKeysServedFromAFallbackAreInTheOutcome() throws {
        var files = Self.files
        files["banners/fr-only.liquid"] = nil
        files["locales/fr.json"] = #"{"a": {"hi": "Salut {{ name }}"}}"#
        let french = try Self.serve("fr", files: files)
        #expect(Self.html(french) == "all: <p>Salut Sam · 2 days</p>\n")
        #expect(french.localeFallbacks == [FallbackUse(key: "a.n", wanted: LocaleTag("fr"), used: LocaleTag("en"))])
        #expect(try Self.serve("en", files: files).localeFallbacks.isEmpty)
    }

    @Test func aDefaultLocaleWithoutAFileServesItsFallbacksKeysAsFallbacks() throws {
        // The content's default is en-GB, which has no file: its readers get en's text, and the trace says so.
        var files = Self.only("<p>{{ 'a.hi' | t: name: user.name }}</p>")
        files["locales.yml"] = "default: en-GB\n"
        let british = try Self.serve("en-GB", files: files)
        #expect(Self.html(british) == "all: <p>Hi Sam</p>\n")
        #expect(british.localeFallbacks == [FallbackUse(key: "a.hi", wanted: LocaleTag("en-GB"), used: LocaleTag("en"))])
    }

    @Test func checkReportsWhatEachLocaleLacksAndCoversIt() throws {
        let check = ContentCheck.run(directory: try contentFolder(ContentCheckTests.base.merging(Self.files) { $1 }), now: checkedAt)
        let found = check.findings.map { "\($0.file ?? ""):\($0.line):\($0.column) \($0.code ?? "")" }
        // fr lacks a.n, asked for at its t call in banners/all.liquid (line 6, column 43).
        #expect(found.contains("banners/all.liquid:6:43 missing-translation"), "\(found)")
        #expect(check.findings.first { $0.code == "missing-translation" }?.message == "no \"a.n\" in locales/fr.json: fr readers get the en text")
        // en's a.unused is used by no template; ar's a.n lacks four of Arabic's six forms; ar's bad_html does not validate.
        #expect(found.contains { $0.hasPrefix("locales/en.json:") && $0.hasSuffix("unused-translation") })
        let plural = try #require(check.findings.first { $0.code == "missing-plural-form" })
        #expect(plural.file == "locales/ar.json" && plural.message.contains("no zero, two, few, many form"))
        #expect(found.contains { $0.hasPrefix("locales/ar.json:") && $0.hasSuffix("invalid-translation-html") })
        // fr's a.hi drops {{ name }}.
        #expect(check.findings.contains { $0.code == "translation-slots-differ" && $0.file == "locales/fr.json" })
        #expect(check.locales.map { "\($0.locale) \($0.translated)/\($0.keys)" } == ["ar 2/2", "en 2/2", "fr 1/2"])
        // Every message renders in every locale of the content.
        #expect(check.renders == check.messages.count * check.profiles.count * check.stages.count * 3)
    }
}
