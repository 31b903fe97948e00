import Content
import Delivery
import Diagnostics
import Foundation
import Liquid
import Localization
import Personalization
import Testing

/// `locales/*.json` and the `t` filter: the user's language with fallback, CLDR plural forms, escaping.
@Suite("Translations and the t filter")
struct TranslationTests {
    static let files: [String: String] = [
        "locales.yml": "default: en\nfallbacks:\n  pt-BR: [pt-PT]\n",
        "locales/en.json": """
            {"hero": {"title": "Hello {{ name }}", "items": {"one": "{{ count }} item", "other": "{{ count }} items"},
                      "note_html": "<b>{{ name }}</b> &amp; co", "only_en": "English only"}}
            """,
        "locales/fr.json": """
            {"hero": {"title": "Bonjour {{ name }}", "items": {"one": "{{ count }} article", "many": "{{ count }} d’articles",
                      "other": "{{ count }} articles"}, "note_html": "<b>{{ name }}</b> et cie"}}
            """,
        "locales/ar.json": """
            {"hero": {"title": "مرحبا {{ name }}", "items": {"zero": "لا عناصر", "one": "عنصر واحد", "two": "عنصران",
                      "few": "{{ count }} عناصر", "many": "{{ count }} عنصرًا", "other": "{{ count }} عنصر"}}}
            """,
        "locales/pt-PT.json": #"{"hero": {"title": "Olá {{ name }}"}}"#,
        "banners/a.liquid": """
            ---
            campaign: a
            channel: banner
            placement: hero
            default: true
            ---
            <p>{{ 'hero.title' | t: name: user.name }}|{{ 'hero.items' | t: count: user.n }}|{{ 'hero.note_html' | t: name: user.name }}</p>
            """,
    ]

    static func render(locale: String?, name: String = "Ada", n: Value = .int(1), files: [String: String] = files) throws -> String {
        let delivery = try DeliveryContent.load(files: files, loadedAt: checkedAt)
        let profile = Profile(id: "u", traits: LiquidObject([("name", .string(name)), ("n", n)]),
                              locale: try locale.map { try LocaleTag(parsing: $0) })
        let user = UserMoment(profile: profile, now: checkedAt, stageRules: delivery.content.stageRules)
        let outcome = delivery.deliver(.placement("hero"), to: user, history: InteractionHistory())[0]
        guard case .block(let block)? = outcome.output else { throw TranslationError("no block: \(outcome.failures)") }
        return block.html
    }

    @Test func eachUserInTheirLanguageWithThePluralFormTheirLanguageChooses() throws {
        #expect(try Self.render(locale: nil) == "<p>Hello Ada|1 item|<b>Ada</b> &amp; co</p>")
        #expect(try Self.render(locale: "en-GB", n: .int(3)) == "<p>Hello Ada|3 items|<b>Ada</b> &amp; co</p>")
        // French: 0 and 1 are one; a million is many.
        #expect(try Self.render(locale: "fr-CA", n: .int(0)) == "<p>Bonjour Ada|0 article|<b>Ada</b> et cie</p>")
        // A count is written as the locale writes numbers: CLDR's French groups with a narrow no-break space.
        #expect(try Self.render(locale: "fr", n: .int(1_000_000)) == "<p>Bonjour Ada|1\u{202F}000\u{202F}000 d’articles|<b>Ada</b> et cie</p>")
        #expect(try Self.render(locale: "en", n: .int(12_345)) == "<p>Hello Ada|12,345 items|<b>Ada</b> &amp; co</p>")
        // Arabic's six forms; its missing note_html falls back to English. A Latin name in Arabic text is isolated
        // (<bdi>), in English text it is not.
        let arabic = [0: "لا عناصر", 1: "عنصر واحد", 2: "عنصران", 3: "3 عناصر", 11: "11 عنصرًا", 100: "100 عنصر"]
        for (n, form) in arabic {
            #expect(try Self.render(locale: "ar", name: "Layla", n: .int(n)) == "<p>مرحبا <bdi>Layla</bdi>|\(form)|<b>Layla</b> &amp; co</p>")
        }
        // An Arabic name in English text is isolated too.
        #expect(try Self.render(locale: "en", name: "ليلى") == "<p>Hello <bdi>ليلى</bdi>|1 item|<b><bdi>ليلى</bdi></b> &amp; co</p>")
    }

    @Test func decimalsAsWritten() throws {
        // English: 1 is one, 1.5 and 1.0 are other (a visible fraction digit).
        #expect(try Self.render(locale: "en", n: .double(1.5)).contains("|1.5 items|"))
        #expect(try Self.render(locale: "en", n: .string("1.0")).contains("|1.0 items|"))
        // French: 1.5 is one (i = 1), and written with a decimal comma.
        #expect(try Self.render(locale: "fr", n: .double(1.5)).contains("|1,5 article|"))
        // A double keeps the fraction digit its plural form counted: 1.0 is "1.0 items", not "1 items".
        #expect(try Self.render(locale: "en", n: .double(1.0)).contains("|1.0 items|"))
    }

    @Test func countsInTheContentsNumberingSystem() throws {
        // Arabic numbered with Arabic-Indic digits by the content (locales.yml), Latin by CLDR's default for `ar`.
        var files = Self.files
        files["locales.yml"] = "default: en\nnumbering: { ar: arab }\n"
        #expect(try Self.render(locale: "ar", name: "Layla", n: .int(3), files: files).contains("|٣ عناصر|"))
        // 1,234: Arabic groups with its own separator, and 34 takes the many form.
        #expect(try Self.render(locale: "ar", name: "Layla", n: .int(1_234), files: files).contains("|١٬٢٣٤ عنصرًا|"))
        #expect(try Self.render(locale: "ar", name: "Layla", n: .int(3)).contains("|3 عناصر|"))
    }

    @Test func fallbackFollowsTruncationsThenDeclaredExtrasThenTheDefault() throws {
        // pt-BR: no file of its own; its declared extra pt-PT has the title, English has the rest.
        #expect(try Self.render(locale: "pt-BR").hasPrefix("<p>Olá Ada|1 item|"))
        // Japanese: nothing, so English.
        #expect(try Self.render(locale: "ja").hasPrefix("<p>Hello Ada|"))
        let translations = try DeliveryContent.load(files: Self.files, loadedAt: checkedAt).content.translations
        #expect(translations.chain(for: LocaleTag("pt-BR")).map(\.identifier) == ["pt-BR", "pt-PT", "pt", "en"])
        #expect(translations.chain(for: LocaleTag("zh-Hant-TW")).map(\.identifier) == ["zh-Hant-TW", "zh-Hant", "zh", "en"])
        // A tag without a script finds the content's locale for its likely script: a Chinese browser in China.
        let chinese = Translations(defaultLocale: LocaleTag("en"), catalogs: [LocaleTag("zh-Hans"): LocaleCatalog(tag: LocaleTag("zh-Hans"), file: "x", entries: [:])])
        #expect(chinese.resolve(LocaleTag("zh-CN")) == LocaleTag("zh-Hans") && chinese.resolve(LocaleTag("zh")) == LocaleTag("zh-Hans"))
        #expect(chinese.resolve(LocaleTag("zh-TW")) == LocaleTag("en"), "Traditional Chinese is not Simplified")
        #expect(translations.resolve(LocaleTag("fr-CA")) == LocaleTag("fr"))
        #expect(translations.resolve(LocaleTag("ja")) == LocaleTag("en"))
        #expect(translations.locales.map(\.identifier) == ["ar", "en", "fr", "pt-PT"])
    }

    @Test func userDataIsEscapedAndOnlyHTMLKeysAreTrusted() throws {
        #expect(try Self.render(locale: "en", name: "<i>x</i>") == "<p>Hello &lt;i&gt;x&lt;/i&gt;|1 item|<b>&lt;i&gt;x&lt;/i&gt;</b> &amp; co</p>")
        var files = Self.files
        files["locales/en.json"] = #"{"hero": {"title": "<b>Hi</b> {{ name }}", "items": "x", "note_html": "y"}}"#
        #expect(try Self.render(locale: "en", files: files).hasPrefix("<p>&lt;b&gt;Hi&lt;/b&gt; Ada|"))
    }

    @Test func aSlotInAnAttributeIsEscapedButNeverWrappedInMarkup() throws {
        var files = Self.files
        files["locales/ar.json"] = #"{"hero": {"title": "x", "items": "y", "note_html": "<a href=\"https://x.example/{{ name }}\">{{ name }}</a>"}}"#
        let html = try Self.render(locale: "ar", name: "Sam", files: files)
        #expect(html.hasSuffix(#"|<a href="https://x.example/Sam"><bdi>Sam</bdi></a></p>"#), "\(html)")
    }

    @Test func badLocaleFilesAreRefusedAtTheirLine() {
        func issues(_ extra: [String: String]) -> [String] {
            do {
                _ = try DeliveryContent.load(files: Self.files.merging(extra) { $1 }, loadedAt: checkedAt)
                return []
            } catch {
                return error.diagnostics.errors.map(\.description)
            }
        }
        #expect(issues(["locales/fr.json": "{\n  \"a\": 1,\n}"]).first?.hasPrefix("locales/fr.json:3:") == true)
        #expect(issues(["locales/fr_CA.json": "{}"]).first?.contains("name the file fr-CA.json") == true)
        #expect(issues(["locales/e.json": "{}"]).first?.hasPrefix("locales/e.json:1:1: error: the file name is not a locale") == true)
        #expect(issues(["locales/de.json": "{\"x\": {\"one\": \"a\"}}"]).first?.contains("x: plural forms need \"other\"") == true)
        #expect(issues(["locales/de.json": "{\"x\": \"{{ name\"}"]).first?.contains("is not closed") == true)
        #expect(issues(["locales.yml": "default: english!\n"]).first?.hasPrefix("locales.yml:1:10: error: \"english!\" is not a language tag") == true)
        #expect(issues(["locales.yml": "default: en\nfalbacks: {}\n"]).first?.contains("did you mean \"fallbacks\"") == true)
    }

    @Test func aMissingKeyIsAPlaceholderLenientAndAnErrorStrict() throws {
        var files = Self.files
        files["banners/b.liquid"] = "---\ncampaign: b\nchannel: banner\nplacement: side\n---\n<p>\n{{ 'hero.nope' | t }}</p>\n"
        let delivery = try DeliveryContent.load(files: files, loadedAt: checkedAt)
        let user = UserMoment(profile: Profile(id: "u", locale: LocaleTag("fr")), now: checkedAt, stageRules: delivery.content.stageRules)
        let lenient = delivery.deliver(.placement("side"), to: user, history: InteractionHistory())[0]
        guard case .block(let block)? = lenient.output else { Issue.record("\(lenient.failures)"); return }
        #expect(block.html == "<p>\ntranslation missing: fr.hero.nope</p>\n")
        let strict = delivery.deliver(.placement("side"), to: user, history: InteractionHistory(),
                                      options: DeliveryOptions(strict: true))[0]
        let d = try #require(strict.failures.first?.diagnostics.first)
        #expect(d.description == "banners/b.liquid:7:18: error: Liquid undefined variable: translation missing: fr.hero.nope [undefined_variable]")
    }

    @Test func writtenStraightIntoTheOutputItIsTheTextTheFilterGives() throws {
        // Ending an output tag, `t` writes into the render's output; followed by another filter it gives its text
        // as a value. Both must print the same bytes: escaped or not, isolated or not, a count formatted or plain.
        var files = Self.files
        files["banners/a.liquid"] = Self.files["banners/a.liquid"]!.replacingOccurrences(of: "}}|", with: "| default: '' }}|")
            .replacingOccurrences(of: "}}</p>", with: "| default: '' }}</p>")
        #expect(files["banners/a.liquid"]!.components(separatedBy: "| default: ''").count == 4)
        for (locale, name, n) in [(nil, "Ada", Value.int(1)), ("fr", "<i>x</i> & 'y'", .int(1_000_000)), ("ar", "Layla", .int(11)),
                                  ("en", "ليلى", .double(1.5)), ("pt-BR", "Ana", .string("2")), ("ja", "", .null)] as [(String?, String, Value)]
        {
            let written = try Self.render(locale: locale, name: name, n: n)
            #expect(try Self.render(locale: locale, name: name, n: n, files: files) == written, "\(locale ?? "default")")
        }
        // In text that is not HTML (an email's plain part, a push), with the isolating marks of plain text.
        let delivery = try DeliveryContent.load(files: Self.files, loadedAt: checkedAt)
        for locale in ["ar", "en", "fr"] {
            let user = UserMoment(profile: Profile(id: "u", locale: LocaleTag(locale)), now: checkedAt, stageRules: delivery.content.stageRules)
            let options = delivery.renderOptions(for: user, autoescape: false)
            let data: Value = ["name": "<Sam> & ليلى", "n": 3]
            let source = "{{ 'hero.title' | t: name: name }}|{{ 'hero.items' | t: count: n }}|{{ 'hero.nope' | t }}"
            let written = try delivery.content.environment.parse(source).render(data, options: options)
            let valued = try delivery.content.environment.parse(source.replacingOccurrences(of: " }}", with: " | append: '' }}"))
                .render(data, options: options)
            #expect(written == valued)
            #expect(written.contains("<Sam> & ") && written.hasSuffix("|translation missing: \(locale).hero.nope"), "\(written)")
        }
    }
}
