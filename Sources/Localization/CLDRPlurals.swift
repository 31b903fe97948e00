import Foundation

/// CLDR's cardinal plural rules for every locale it has, read from its `plurals.xml` (compiled into the binary,
/// with its licence beside it in `Resources/`) and compiled once.
public struct PluralRules: Sendable {
    /// A locale's rules by its tag as CLDR names it (`pt-PT`), `root` among them.
    public let rules: [String: PluralRule]
    /// Each locale's rules as CLDR writes them, by category, samples included: what the tests run.
    public let sources: [String: [(PluralCategory, String)]]

    /// The rules shipped with the binary.
    public static let cldr: PluralRules = {
        do {
            return try PluralRules(xml: String(decoding: PackageResources.plurals_xml, as: UTF8.self))
        } catch {
            fatalError("the compiled-in plurals.xml does not read: \(error)")
        }
    }()

    /// Reads a `plurals.xml`: its `<pluralRules locales="...">` with their `<pluralRule count="...">` lines.
    public init(xml: String) throws(PluralRuleError) {
        var rules: [String: PluralRule] = [:]
        var sources: [String: [(PluralCategory, String)]] = [:]
        var rest = Substring(xml)
        // Cardinal rules only: an ordinal section, in a file that has one, comes after `type="ordinal"`.
        if let ordinal = rest.range(of: "type=\"ordinal\"") { rest = rest[..<ordinal.lowerBound] }
        while let open = rest.range(of: "<pluralRules locales=\"") {
            rest = rest[open.upperBound...]
            guard let quote = rest.firstIndex(of: "\""), let end = rest.range(of: "</pluralRules>") else {
                throw PluralRuleError(text: String(rest.prefix(40)), reason: "an unclosed <pluralRules>")
            }
            let locales = rest[..<quote].split(separator: " ").map { $0.replacingOccurrences(of: "_", with: "-") }
            var body = rest[quote..<end.lowerBound]
            rest = rest[end.upperBound...]
            var list: [(PluralCategory, String)] = []
            while let rule = body.range(of: "<pluralRule count=\"") {
                body = body[rule.upperBound...]
                guard let q = body.firstIndex(of: "\""), let close = body.range(of: "</pluralRule>"),
                      let gt = body[q...].firstIndex(of: ">")
                else { throw PluralRuleError(text: String(body.prefix(40)), reason: "an unclosed <pluralRule>") }
                guard let category = PluralCategory(rawValue: String(body[..<q])) else {
                    throw PluralRuleError(text: String(body[..<q]), reason: "not a plural category")
                }
                list.append((category, String(body[body.index(after: gt)..<close.lowerBound])))
                body = body[close.upperBound...]
            }
            let compiled = try PluralRule(rules: list)
            for locale in locales {
                rules[locale] = compiled
                sources[locale] = list
            }
        }
        guard rules["root"] != nil else { throw PluralRuleError(text: "plurals.xml", reason: "no rules for root") }
        self.rules = rules
        self.sources = sources
    }

    /// The rules for a locale: its own, else those of the first of its truncations CLDR has (`pt-BR` takes `pt`'s),
    /// else root's (everything is `other`).
    public func rule(for tag: LocaleTag) -> PluralRule {
        if let own = rules[tag.identifier] { return own }
        for shorter in tag.truncations { if let r = rules[shorter.identifier] { return r } }
        return rules["root"] ?? .otherOnly
    }
}
