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

/// `{{ 'cart.items' | t: count: n, name: user.first_name }}`: the key's text in the user's locale (falling back as
/// ``Translations`` says), its plural form chosen by CLDR's rules for the locale the text is in, its `{{ name }}`
/// slots filled from the keyword arguments. In an HTML render the text is escaped, unless the key ends in `_html`
/// (trusted markup); what fills a slot always is. A number given as `count` is written as the locale writes numbers
/// (`1 234` in French; Arabic-Indic digits where the content numbers Arabic so), with the fraction digits it was
/// given (`1.0` stays `1.0`, as its plural form says).
enum TranslateFilter {
    static let name = "t"

    static let filter: Filter = { input, arguments, context in
        try arguments.expect(name, min: 0, max: 0)
        guard case .string(let key) = input, !key.isEmpty else {
            throw LiquidError(.argument, "t: the key must be text, such as 'cart.title'")
        }
        // The reader's locale as the content serves it (the delivery's render options carry it).
        guard let locale = context.host as? ServedLocale else { return try missing(key, in: LocaleTag("en"), context) }
        // Most keys are found in the served locale's own catalog; the rest along the reader's fallback chain.
        guard let (translation, used, isFallback) = locale.lookup(key) else { return try missing(key, in: locale.served, context) }
        if isFallback { FallbackRecorder.current?.add(FallbackUse(key: key, wanted: locale.wanted, used: used.tag)) }
        var category = PluralCategory.other
        if case .plural = translation.form {
            let count = arguments.keyword("count")
            if let count, !count.isNil, let operands = operands(of: count) {
                category = used.plural.category(operands)
            } else if let count, !count.isNil, context.isStrict {
                throw LiquidError(.argument, "t: \"\(key)\" has plural forms; count: must be a number, not \(count.description)")
            } else if context.isStrict {
                throw LiquidError(.undefinedVariable, "t: \"\(key)\" has plural forms; give it count: (count: items.size)")
            }
            // Lenient, a count that is not there reads as the general form, as an undefined variable reads as nothing.
        }
        // A plural key always has `other` (its file is refused without it).
        let text = translation.text(for: category)!
        // Text without slots is ready as it is.
        if text.pieces.count == 1, case .literal(let plain, let html) = text.pieces[0] { return .string(context.isEscaping ? html : plain) }
        // What fills a slot is the user's data: escaped in HTML, and isolated when its direction is not the text's
        // (a Latin name in Arabic, an Arabic one in English), so the punctuation around it stays where it was written.
        let escaping = context.isEscaping
        let direction = used.direction
        if context.isStrict {
            for case .variable(let name, _) in text.pieces where arguments.keyword(name) == nil {
                throw LiquidError(.undefinedVariable, "t: \"\(key)\" in \(used.tag) fills {{ \(name) }}; pass \(name): to the filter")
            }
        }
        // Each slot's text as it goes in (kept on the stack), then the whole text made at its exact size.
        return .string(withUnsafeTemporaryAllocation(of: String.self, capacity: text.slotCount) { filled in
            var size = escaping ? text.htmlLength : text.plainLength
            var n = 0
            for case .variable(let name, let inTag) in text.pieces {
                // A slot with no argument is left empty (a lenient render).
                let value: String
                switch arguments.keyword(name) {
                case .string(let s)?: value = s
                case .int(let n)? where name == "count":
                    value = FormatFilters.count(.int(n), in: locale)
                case .double(let n)? where name == "count" && n.isFinite:
                    value = FormatFilters.count(.double(n), in: locale)
                case let other?: value = other.description
                case nil: value = ""
                }
                // A value in an attribute (an href in an _html text) is escaped, never wrapped in markup.
                let isolate = !inTag && Bidi.needsIsolation(value, in: direction)
                let inserted = switch (escaping, isolate) {
                case (true, false): value.htmlEscaped
                case (true, true): "<bdi>" + value.htmlEscaped + "</bdi>"
                case (false, false): value
                case (false, true): "\u{2068}" + value + "\u{2069}"
                }
                size += inserted.utf8.count
                filled.initializeElement(at: n, to: inserted)
                n += 1
            }
            defer { _ = filled.prefix(n).deinitialize() }
            // Appended to a string made at its exact size: pieces that are strings already are copied as they are
            // (a string made from raw bytes would be checked as UTF-8 again, which non-ASCII text pays for).
            var out = String()
            out.reserveCapacity(size)
            var slot = 0
            for piece in text.pieces {
                switch piece {
                case .literal(let plain, let html): out.append(escaping ? html : plain)
                case .variable: out.append(filled[slot]); slot += 1
                }
            }
            return out
        })
    }

    /// A key no locale of the reader's chain has: an error in a strict render, else a visible marker.
    static func missing(_ key: String, in locale: LocaleTag, _ context: Context) throws(LiquidError) -> Value {
        let missing = "translation missing: \(locale.identifier).\(key)"
        if context.isStrict { throw LiquidError(.undefinedVariable, missing) }
        return .string(context.isEscaping ? missing.htmlEscaped : missing)
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
    static let extensions: LiquidExtensions = {
        var filters = FormatFilters.all
        filters[TranslateFilter.name] = TranslateFilter.filter
        return LiquidExtensions(filters: filters, htmlFilters: [TranslateFilter.name])
    }()
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
