import Foundation
import Synchronization

/// A translated text with its `{{ name }}` slots, read once when the content loads, with its literal text ready for
/// both kinds of output (as written, and as HTML) so a render only copies it.
public struct MessageText: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        /// Text as written, and the same text in an HTML render: escaped, unless the text is trusted markup.
        case literal(String, html: String)
        /// A slot, and whether it sits inside a tag of trusted markup (an attribute's value) rather than in its text.
        case variable(String, inTag: Bool)
    }

    public let pieces: [Piece]
    /// The length of its literal text in UTF-8 bytes, as written and in an HTML render.
    public let plainLength: Int, htmlLength: Int
    /// How many slots it has.
    public let slotCount: Int

    /// The names of its slots, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        for case .variable(let name, _) in pieces where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// Reads `Hello {{ name }}`: a slot is a name (letters, digits, `_`, `-`, `.`) between `{{` and `}}`. `escape`
    /// makes literal text HTML, unless the text is `trusted` markup (a key ending in `_html`).
    public init(parsing text: String, trusted: Bool, escape: (String) -> String) throws(TranslationError) {
        var pieces: [Piece] = []
        var inTag = false
        func literal(_ s: Substring) {
            let s = String(s)
            pieces.append(.literal(s, html: trusted ? s : escape(s)))
            // In trusted markup, inside a tag when the last `<` so far is not closed by a `>`.
            if trusted { for c in s.utf8 where c == UInt8(ascii: "<") || c == UInt8(ascii: ">") { inTag = c == UInt8(ascii: "<") } }
        }
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { literal(rest[..<open.lowerBound]) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw TranslationError("\"{{\" is not closed by \"}}\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw TranslationError("\"{{\(rest[open.upperBound..<close.lowerBound])}}\" is not a variable name")
            }
            pieces.append(.variable(String(name), inTag: inTag))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { literal(rest) }
        self.pieces = pieces
        var plain = 0, html = 0, slots = 0
        for piece in pieces {
            switch piece {
            case .literal(let p, let h):
                plain += p.utf8.count
                html += h.utf8.count
            case .variable: slots += 1
            }
        }
        (plainLength, htmlLength, slotCount) = (plain, html, slots)
    }

    /// The text as written with each slot filled by `value` (nil leaves it empty).
    public func render(_ value: (String) -> String?) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let s, _): out += s
            case .variable(let name, _): out += value(name) ?? ""
            }
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// One key's translation in one locale: a text, or a text per plural category. A class: a lookup hands out one
/// reference, not copies of its texts.
public final class Translation: Sendable {
    public enum Form: Sendable {
        case text(MessageText)
        case plural([PluralCategory: MessageText])
    }

    public let form: Form
    /// A key ending in `_html` is trusted markup: its text is not escaped in HTML (what it inserts still is).
    public let isHTML: Bool

    /// A plural translation's text for each category by ``PluralCategory/ordinal``, `other`'s where it has none.
    private let byCategory: [MessageText]

    public init(form: Form, isHTML: Bool) {
        self.form = form
        self.isHTML = isHTML
        if case .plural(let forms) = form, let other = forms[.other] {
            byCategory = PluralCategory.allCases.map { forms[$0] ?? other }
        } else {
            byCategory = []
        }
    }

    /// The text for a number of `category`: a plural form (`other`'s when the key lacks the category's), or the
    /// one text.
    public func text(for category: PluralCategory) -> MessageText? {
        switch form {
        case .text(let t): return t
        case .plural: return byCategory.isEmpty ? nil : byCategory[category.ordinal]
        }
    }

    /// Every text it has (one, or one per category).
    public var texts: [MessageText] {
        switch form {
        case .text(let t): return [t]
        case .plural(let forms): return PluralCategory.allCases.compactMap { forms[$0] }
        }
    }
}

/// A translation that does not read, with why.
public struct TranslationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One locale's translations: `locales/<tag>.json` read and flattened to dotted keys.
public struct LocaleCatalog: Sendable {
    public let tag: LocaleTag
    /// The file, relative to the content folder.
    public let file: String
    public let entries: [String: Translation]
    /// The same entries, for a render's lookups.
    public let table: KeyTable<Translation>

    public init(tag: LocaleTag, file: String, entries: [String: Translation]) {
        self.tag = tag
        self.file = file
        self.entries = entries
        table = KeyTable(entries.lazy.map { ($0.key, $0.value) })
    }
}

/// Every locale of a content set, with how a lookup falls back: along the tag's truncations (`zh-Hant-TW`,
/// `zh-Hant`, `zh`), each followed by the extra fallbacks `locales.yml` declares for it, then the default locale.
public struct Translations: Sendable {
    public let defaultLocale: LocaleTag
    public let catalogs: [LocaleTag: LocaleCatalog]
    /// `pt-BR: [pt-PT]`: where to look after a locale and before its truncation.
    public let extraFallbacks: [LocaleTag: [LocaleTag]]
    /// `ar: arab`: the numbering system a locale's numbers are written in, when not CLDR's default for it.
    public let numbering: [LocaleTag: String]

    /// The writing direction of each locale the content serves in (its catalogs' and the default).
    private let directions: [LocaleTag: TextDirection]
    /// Each reader's locale as served, worked out on first use.
    private let served = ServedLocales()

    public init(defaultLocale: LocaleTag, catalogs: [LocaleTag: LocaleCatalog] = [:], extraFallbacks: [LocaleTag: [LocaleTag]] = [:],
                numbering: [LocaleTag: String] = [:])
    {
        self.defaultLocale = defaultLocale
        self.catalogs = catalogs
        self.extraFallbacks = extraFallbacks
        self.numbering = numbering
        var directions: [LocaleTag: TextDirection] = [:]
        for tag in Set(catalogs.keys).union([defaultLocale]) { directions[tag] = TextDirection(of: tag) }
        self.directions = directions
    }

    /// The writing direction of a locale (CLDR's, through Foundation): `rtl` for Arabic, Hebrew, Persian, Urdu...
    public func direction(of tag: LocaleTag) -> TextDirection { directions[tag] ?? TextDirection(of: tag) }

    /// The numbering system set for `tag` or the nearest of its truncations, nil for CLDR's default.
    public func numberingSystem(for tag: LocaleTag) -> String? {
        for t in [tag] + tag.truncations { if let n = numbering[t] { return n } }
        return nil
    }

    /// English by default, with no translations.
    public static let none = Translations(defaultLocale: LocaleTag("en"))

    /// The locales the content has, sorted (the default among them even without a file).
    public var locales: [LocaleTag] { Array(Set(catalogs.keys).union([defaultLocale])).sorted() }

    /// The locales a lookup for `tag` tries, in order, each once.
    public func chain(for tag: LocaleTag) -> [LocaleTag] {
        var chain: [LocaleTag] = []
        func add(_ t: LocaleTag, depth: Int) {
            guard !chain.contains(t) else { return }
            chain.append(t)
            // Extra fallbacks are followed with their own (a bounded depth: a cycle in locales.yml is harmless).
            if depth < 4 { for extra in extraFallbacks[t] ?? [] { add(extra, depth: depth + 1) } }
        }
        // A tag without a script reaches the content's locale for the script its language is likely written in
        // (CLDR's likely subtags through Foundation): zh-CN finds zh-Hans, zh-TW zh-Hant.
        var steps = [tag] + tag.truncations
        if tag.script == nil, let script = Locale.Language(identifier: tag.identifier).script?.identifier,
           let scripted = try? LocaleTag(parsing: tag.language + "-" + script), catalogs[scripted] != nil
        {
            steps.insert(scripted, at: 1)
        }
        for t in steps { add(t, depth: 0) }
        for t in [defaultLocale] + defaultLocale.truncations { add(t, depth: 0) }
        return chain
    }

    /// The locale a user is served in: the first of their chain the content has a catalog for, else the default.
    public func resolve(_ tag: LocaleTag) -> LocaleTag {
        // A locale the content has needs no memo.
        hasOwnCatalog(tag) ? tag : serving(tag).served
    }

    /// Whether `tag` is served as itself: the default, or a locale with a file.
    private func hasOwnCatalog(_ tag: LocaleTag) -> Bool { tag == defaultLocale || catalogs[tag] != nil }

    /// What serving a reader whose locale is `tag` takes (the locale served, its catalog, plural rule, direction and
    /// the locale to format in), worked out once per content and tag.
    public func serving(_ tag: LocaleTag) -> ServedLocale {
        if let known = served.memo.withLock({ $0[tag] }) { return known }
        let servedTag = hasOwnCatalog(tag) ? tag : chain(for: tag).first { catalogs[$0] != nil } ?? defaultLocale
        let made = ServedLocale(wanted: tag, served: servedTag, in: self)
        // Tags come from users: a few thousand are kept, then the memo starts afresh.
        served.memo.withLock { memo in
            if memo.count >= ServedLocales.bound { memo.removeAll(keepingCapacity: true) }
            memo[tag] = made
        }
        return made
    }

}

/// One reader's locale as a content set serves it, made by ``Translations/serving(_:)``: what a render for them
/// needs of the content's languages, worked out once (the `t` filter and the format filters read it).
public final class ServedLocale: Sendable {
    /// A locale of the reader's fallback chain that the content has translations in.
    public final class Step: Sendable {
        public let tag: LocaleTag
        public let entries: KeyTable<Translation>
        /// CLDR's plural rule for it.
        public let plural: PluralRule
        public let direction: TextDirection
        /// It is not the served locale: a key found here is served from a fallback.
        public let isFallback: Bool

        init(tag: LocaleTag, entries: KeyTable<Translation>, plural: PluralRule, direction: TextDirection, isFallback: Bool) {
            self.tag = tag
            self.entries = entries
            self.plural = plural
            self.direction = direction
            self.isFallback = isFallback
        }
    }

    /// The reader's locale, as asked.
    public let wanted: LocaleTag
    /// The first of their fallback chain the content has, else its default.
    public let served: LocaleTag
    /// The locales a key is looked up in, in order: the served one first, then the rest of the reader's chain that
    /// the content has translations for.
    public let steps: [Step]
    /// The locale numbers, dates and lists are formatted in: the reader's own when the text is in their language
    /// (`fr-CA` formats for a Canadian served in `fr`), else the text's (a Russian reader served in English gets
    /// English dates, not Russian ones in an English sentence); with the numbering system the content sets for it.
    public let formatLocale: Locale
    /// ``formatLocale``'s identifier.
    public let formatIdentifier: String
    /// A number for ``formatIdentifier``, the same for every served locale that formats alike, across content loads:
    /// what a cache of formatted values keys them by. Nil once this process has numbered 65,536 identifiers (tags come
    /// from users); what formats in such a locale is not cached.
    public let formatNumber: Int?
    /// Whether ``formatLocale`` writes whole numbers from 0 to 999 as their ASCII digits (Latin digits; no grouping
    /// below a thousand in any locale): a `t` count that small is then inserted without asking ICU.
    public let writesSmallIntegersPlain: Bool
    /// The direction of the locale served.
    public let direction: TextDirection

    init(wanted: LocaleTag, served: LocaleTag, in translations: Translations) {
        self.wanted = wanted
        self.served = served
        direction = translations.direction(of: served)
        // The chain's locales with a catalog start with the served one (the first of them, or the default).
        let chain = translations.chain(for: wanted)
        let from = chain.firstIndex(of: served) ?? chain.count
        steps = ([served] + chain[from...].dropFirst()).compactMap { tag in
            guard let entries = translations.catalogs[tag]?.table else { return nil }
            return Step(tag: tag, entries: entries, plural: PluralRules.cldr.rule(for: tag), direction: translations.direction(of: tag),
                        isFallback: tag != served)
        }
        let base = wanted.language == served.language ? wanted : served
        // Language, script, region and variants only: a reader's own `-u-` keywords (an unknown numbering system,
        // say) are not handed to ICU; the content's numbering setting is.
        var identifier = base.subtags.prefix { $0.count > 1 }.joined(separator: "-")
        if let numbering = translations.numberingSystem(for: base) { identifier += "-u-nu-" + numbering }
        formatIdentifier = identifier
        formatLocale = Locale(identifier: identifier)
        writesSmallIntegersPlain = 1_234_567_890.formatted(IntegerFormatStyle<Int>(locale: formatLocale).grouping(.never)) == "1234567890"
        formatNumber = Self.formatNumbers.withLock { numbers in
            if let known = numbers[identifier] { return known }
            guard numbers.count < 65_536 else { return nil }
            numbers[identifier] = numbers.count + 1
            return numbers.count
        }
    }

    /// The numbers ``formatNumber`` gives, never reset (so a number always means the same identifier).
    private static let formatNumbers = Mutex<[String: Int]>([:])

    /// A key's translation and the step of the chain it was found in, and whether that is a fallback (a step after
    /// the served locale's).
    public func lookup(_ key: String) -> (Translation, Step, isFallback: Bool)? {
        var i = 0
        while i < steps.count {
            // The served locale's own step is the first, unless it has no file (a default without one).
            if let found = steps[i].entries[key] { return (found, steps[i], steps[i].isFallback) }
            i += 1
        }
        return nil
    }
}

/// The memo behind ``Translations/serving(_:)``.
final class ServedLocales: Sendable {
    static let bound = 4096
    let memo = Mutex<[LocaleTag: ServedLocale]>([:])
}

/// Which way a language is written.
public enum TextDirection: String, Sendable {
    case ltr, rtl

    /// CLDR's direction for the locale's script (its likely script when it names none), through Foundation.
    public init(of tag: LocaleTag) {
        self = Locale.Language(identifier: tag.identifier).characterDirection == .rightToLeft ? .rtl : .ltr
    }
}
