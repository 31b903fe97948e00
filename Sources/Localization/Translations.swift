import Foundation

/// A translated text with its `{{ name }}` slots, read once when the content loads.
public struct MessageText: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case variable(String)
    }

    let pieces: [Piece]

    /// The names of its slots, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        for case .variable(let name) in pieces where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// Reads `Hello {{ name }}`: a slot is a name (letters, digits, `_`, `-`, `.`) between `{{` and `}}`.
    public init(parsing text: String) throws(TranslationError) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw TranslationError("\"{{\" is not closed by \"}}\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw TranslationError("\"{{\(rest[open.upperBound..<close.lowerBound])}}\" is not a variable name")
            }
            pieces.append(.variable(String(name)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        self.pieces = pieces
    }

    /// The text with each slot filled by `value` (nil leaves it empty), literal text passed through `literal` and
    /// filled values through `inserted` (escaping, direction isolation: the caller's choice), told whether the slot
    /// is inside a tag of the literal markup (an attribute's value) rather than in its text.
    public func render(_ value: (String) -> String?, literal: (String) -> String = { $0 },
                       inserted: (_ value: String, _ inTag: Bool) -> String = { value, _ in value }) -> String
    {
        var out = ""
        var inTag = false
        for piece in pieces {
            switch piece {
            case .literal(let s):
                out += literal(s)
                // Inside a tag when the last `<` of the markup so far is not closed by a `>`.
                for c in s.utf8 where c == UInt8(ascii: "<") || c == UInt8(ascii: ">") { inTag = c == UInt8(ascii: "<") }
            case .variable(let name):
                out += value(name).map { inserted($0, inTag) } ?? ""
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

/// One key's translation in one locale: a text, or a text per plural category.
public struct Translation: Sendable {
    public enum Form: Sendable {
        case text(MessageText)
        case plural([PluralCategory: MessageText])
    }

    public let form: Form
    /// A key ending in `_html` is trusted markup: its text is not escaped in HTML (what it inserts still is).
    public let isHTML: Bool

    public init(form: Form, isHTML: Bool) {
        self.form = form
        self.isHTML = isHTML
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

    public init(tag: LocaleTag, file: String, entries: [String: Translation]) {
        self.tag = tag
        self.file = file
        self.entries = entries
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
        if tag == defaultLocale || catalogs[tag] != nil { return tag }
        return chain(for: tag).first { catalogs[$0] != nil } ?? defaultLocale
    }

    /// A key's translation for a user's locale, and the locale it came from.
    public func lookup(_ key: String, for tag: LocaleTag) -> (Translation, LocaleTag)? {
        // Most lookups are in a locale the content has: no chain to build.
        if let found = catalogs[tag]?.entries[key] { return (found, tag) }
        for t in chain(for: tag).dropFirst() {
            if let found = catalogs[t]?.entries[key] { return (found, t) }
        }
        return nil
    }
}

/// Which way a language is written.
public enum TextDirection: String, Sendable {
    case ltr, rtl

    /// CLDR's direction for the locale's script (its likely script when it names none), through Foundation.
    public init(of tag: LocaleTag) {
        self = Locale.Language(identifier: tag.identifier).characterDirection == .rightToLeft ? .rtl : .ltr
    }
}
