import Foundation
import Liquid
import Localization
import Synchronization

/// A key served from a fallback locale: asked for in `wanted`, found in `used`.
public struct FallbackUse: Sendable, Equatable {
    public let key: String
    public let wanted: LocaleTag
    public let used: LocaleTag

    public init(key: String, wanted: LocaleTag, used: LocaleTag) {
        self.key = key
        self.wanted = wanted
        self.used = used
    }
}

/// What one render knows of its user's language, given to the `t` filter (as ``RenderOptions/host``): the locale
/// wanted, the content's translations, and where the keys that came from a fallback are recorded (for the trace).
public final class LocaleRendering: Sendable {
    /// The user's locale, as asked.
    public let wanted: LocaleTag
    /// The locale the content serves them in: the first of their fallback chain it has.
    public let served: LocaleTag
    public let translations: Translations
    let plurals: PluralRules

    /// Where the keys served from a fallback are also written, for the delivery that asked (its trace).
    let recorder: FallbackRecorder?

    public init(wanted: LocaleTag, translations: Translations, plurals: PluralRules = .cldr, recorder: FallbackRecorder? = nil) {
        self.recorder = recorder
        self.wanted = wanted
        self.served = translations.resolve(wanted)
        self.translations = translations
        self.plurals = plurals
    }

    /// The locale numbers, dates and lists are formatted in: the user's own when the text is in their language
    /// (`fr-CA` formats for a Canadian served in `fr`), else the text's (a Russian reader served in English gets
    /// English dates, not Russian ones in an English sentence); with the numbering system the content sets for it.
    /// Made when a filter first asks (a render that formats nothing makes none), then kept.
    public var formatLocale: Locale {
        let base = wanted.language == served.language ? wanted : served
        // Language, script, region and variants only: a user's `-u-` keywords (an unknown numbering system, say) are
        // not handed to ICU; the content's numbering setting is.
        var identifier = base.subtags.prefix { $0.count > 1 }.joined(separator: "-")
        if let numbering = translations.numberingSystem(for: base) { identifier += "-u-nu-" + numbering }
        if let known = Self.locales.withLock({ $0[identifier] }) { return known }
        let made = Locale(identifier: identifier)
        Self.locales.withLock { if $0.count < 4096 { $0[identifier] = made } }
        return made
    }

    /// Foundation locales by identifier, made once each (at most a few thousand: tags come from users).
    private static let locales = Mutex<[String: Locale]>([:])

    /// Writes a key served from another locale than the served one to the delivery's recorder.
    func record(_ key: String, used locale: LocaleTag) {
        guard locale != served, let recorder else { return }
        recorder.add(FallbackUse(key: key, wanted: wanted, used: locale))
    }
}

/// `{{ 'cart.items' | t: count: n, name: user.first_name }}`: the key's text in the user's locale (falling back as
/// ``Translations`` says), its plural form chosen by CLDR's rules for the locale the text is in, its `{{ name }}`
/// slots filled from the keyword arguments. In an HTML render the text is escaped, unless the key ends in `_html`
/// (trusted markup); what fills a slot always is.
enum TranslateFilter {
    static let name = "t"

    static let filter: Filter = { input, arguments, context in
        try arguments.expect(name, min: 0, max: 0)
        guard case .string(let key) = input, !key.isEmpty else {
            throw LiquidError(.argument, "t: the key must be text, such as 'cart.title'")
        }
        let locale = context.host as? LocaleRendering
        let wanted = locale?.wanted ?? LocaleTag("en")
        // The served locale is the first of the reader's chain the content has: most keys are found there.
        let direct = locale.flatMap { l in l.translations.catalogs[l.served]?.entries[key].map { ($0, l.served) } }
        guard let locale, let (translation, used) = direct ?? locale.translations.lookup(key, for: wanted) else {
            let missing = "translation missing: \(locale?.served.identifier ?? wanted.identifier).\(key)"
            if context.isStrict { throw LiquidError(.undefinedVariable, missing) }
            return .string(context.isEscaping ? missing.htmlEscaped : missing)
        }
        locale.record(key, used: used)
        let count = arguments.keyword("count")
        let text: MessageText
        switch translation.form {
        case .text(let t):
            text = t
        case .plural(let forms):
            let category: PluralCategory
            if let count, !count.isNil, let operands = operands(of: count) {
                category = locale.plurals.rule(for: used).category(operands)
            } else if let count, !count.isNil, context.isStrict {
                throw LiquidError(.argument, "t: \"\(key)\" has plural forms; count: must be a number, not \(count.description)")
            } else if context.isStrict {
                throw LiquidError(.undefinedVariable, "t: \"\(key)\" has plural forms; give it count: (count: items.size)")
            } else {
                // Lenient, a count that is not there reads as the general form, as an undefined variable reads as nothing.
                category = .other
            }
            text = forms[category] ?? forms[.other]!
        }
        if context.isStrict, let absent = text.variables.first(where: { arguments.keyword($0) == nil }) {
            throw LiquidError(.undefinedVariable, "t: \"\(key)\" in \(used) fills {{ \(absent) }}; pass \(absent): to the filter")
        }
        let escaping = context.isEscaping
        // What fills a slot is the user's data: escaped in HTML, and isolated when its direction is not the text's
        // (a Latin name in Arabic, an Arabic one in English), so the punctuation around it stays where it was written.
        let direction = locale.translations.direction(of: used)
        return .string(text.render(
            { name in arguments.keyword(name).map(\.description) },
            literal: { escaping && !translation.isHTML ? $0.htmlEscaped : $0 },
            inserted: { value, inTag in
                // A value in an attribute (an href in an _html text) is escaped, never wrapped in markup.
                let isolate = !inTag && Bidi.needsIsolation(value, in: direction)
                if escaping { return isolate ? "<bdi>" + value.htmlEscaped + "</bdi>" : value.htmlEscaped }
                return isolate ? "\u{2068}" + value + "\u{2069}" : value
            }))
    }

    /// A count's plural operands as written: an integer, a decimal (its shortest form: 1.5; 1.0 keeps its fraction
    /// digit), or text (`"1.50"` keeps both).
    static func operands(of value: Value) -> PluralOperands? {
        switch value {
        case .int(let i): return PluralOperands(i)
        case .double(let d) where d.isFinite:
            // Swift writes large and small doubles with an exponent (1e+16); plurals want the digits.
            let text = abs(d) < 1e15 && (d == 0 || abs(d) >= 1e-4) ? String(d) : String(format: "%.6f", d)
            return PluralOperands(text)
        case .string(let s): return PluralOperands(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }
}

/// The filters every content set has for its languages.
enum LocaleFilters {
    static let extensions = LiquidExtensions(filters: FormatFilters.all.merging([TranslateFilter.name: TranslateFilter.filter]) { $1 },
                                             htmlFilters: [TranslateFilter.name])
}

/// The keys one delivery served from a fallback locale, across every render it made (a message's fields, a tour's
/// steps): what its trace lists. The delivery sets one for its renders (``current``).
public final class FallbackRecorder: Sendable {
    private let uses = Mutex<[FallbackUse]>([])

    public init() {}

    public var all: [FallbackUse] { uses.withLock { $0 } }

    func add(_ use: FallbackUse) { uses.withLock { if !$0.contains(use) { $0.append(use) } } }

    /// The recorder of the delivery running in this task, if it keeps one.
    @TaskLocal public static var current: FallbackRecorder?
}
