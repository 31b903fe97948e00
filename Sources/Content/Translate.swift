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

    /// The filter: the text as a value (for `assign`, or another filter after it).
    static let filter: Filter = { input, arguments, context in
        switch try lookup(input, arguments, context) {
        case .missing(let text): return .string(text)
        case .found(let text, _, _) where text.slotCount == 0:
            // Text without slots is ready as it is.
            return .string(text.pieces.reduce(into: "") { s, piece in
                if case .literal(let plain, let html) = piece { s += context.isEscaping ? html : plain }
            })
        case .found(let text, let locale, let direction):
            var out = OutputBuffer(capacity: (context.isEscaping ? text.htmlLength : text.plainLength) + 16 * text.slotCount)
            write(text, arguments, context, locale: locale, direction: direction, into: &out)
            return .string(out.string)
        }
    }

    /// The same, where it ends an output tag: written straight into the render's output.
    static let writer: OutputWriter = { input, arguments, context, out in
        switch try lookup(input, arguments, context) {
        case .missing(let text): out.append(text)
        case .found(let text, let locale, let direction):
            write(text, arguments, context, locale: locale, direction: direction, into: &out)
        }
    }

    /// What a call prints: the text of the key's translation for the count, or the marker of a missing key.
    enum Found {
        case found(MessageText, ServedLocale, direction: TextDirection)
        case missing(String)
    }

    /// The key's text for this reader and count, after a strict render's checks of the call's arguments.
    static func lookup(_ input: Value, _ arguments: FilterArguments, _ context: Context) throws(LiquidError) -> Found {
        try arguments.expect(name, min: 0, max: 0)
        guard case .string(let key) = input, !key.isEmpty else {
            throw LiquidError(.argument, "t: the key must be text, such as 'cart.title'")
        }
        // The reader's locale as the content serves it (the delivery's render options carry it).
        guard let locale = context.host as? ServedLocale else { return .missing(try missing(key, in: LocaleTag("en"), context)) }
        // Most keys are found in the served locale's own catalog; the rest along the reader's fallback chain.
        guard let (translation, used, isFallback) = locale.lookup(key) else { return .missing(try missing(key, in: locale.served, context)) }
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
        if context.isStrict {
            for case .variable(let name, _) in text.pieces where arguments.keyword(name) == nil {
                throw LiquidError(.undefinedVariable, "t: \"\(key)\" in \(used.tag) fills {{ \(name) }}; pass \(name): to the filter")
            }
        }
        return .found(text, locale, direction: used.direction)
    }

    /// The text with its slots filled, appended to `out`. What fills a slot is the user's data: escaped in HTML, and
    /// isolated when its direction is not the text's (a Latin name in Arabic, an Arabic one in English), so the
    /// punctuation around it stays where it was written. A slot with no argument is left empty (a lenient render).
    static func write(_ text: MessageText, _ arguments: FilterArguments, _ context: Context, locale: ServedLocale,
                      direction: TextDirection, into out: inout OutputBuffer)
    {
        let escaping = context.isEscaping
        for piece in text.pieces {
            switch piece {
            case .literal(let plain, let html):
                out.append(escaping ? html : plain)
            case .variable(let name, let inTag):
                let value: String
                switch arguments.keyword(name) {
                case .string(let s)?: value = s
                case .int(let n)? where name == "count":
                    value = FormatFilters.count(.int(n), in: locale)
                case .double(let n)? where name == "count" && n.isFinite:
                    value = FormatFilters.count(.double(n), in: locale)
                case let other?: value = other.description
                case nil: continue
                }
                // A value in an attribute (an href in an _html text) is escaped, never wrapped in markup.
                let isolate = !inTag && Bidi.needsIsolation(value, in: direction)
                if isolate { out.append(escaping ? "<bdi>" : "\u{2068}") }
                if escaping { out.appendEscaped(value) } else { out.append(value) }
                if isolate { out.append(escaping ? "</bdi>" : "\u{2069}") }
            }
        }
    }

    /// A key no locale of the reader's chain has: an error in a strict render, else a visible marker.
    static func missing(_ key: String, in locale: LocaleTag, _ context: Context) throws(LiquidError) -> String {
        let missing = "translation missing: \(locale.identifier).\(key)"
        if context.isStrict { throw LiquidError(.undefinedVariable, missing) }
        return context.isEscaping ? missing.htmlEscaped : missing
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
        filters.set(TranslateFilter.name, TranslateFilter.filter, writer: TranslateFilter.writer)
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
