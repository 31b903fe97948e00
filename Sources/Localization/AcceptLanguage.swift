/// An HTTP `Accept-Language` header (RFC 9110 §12.5.4) read as the languages a browser asks for, most wanted first.
public enum AcceptLanguage {
    /// The header's language ranges by their `q` weight (highest first, ties in the order written); `*`, weights
    /// of 0 and ranges that are not language tags are left out. At most 32 are read.
    public static func parse(_ header: String) -> [LocaleTag] {
        var weighted: [(tag: LocaleTag, q: Double, order: Int)] = []
        for (order, item) in header.split(separator: ",").prefix(32).enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingSpaces }
            guard let range = parts.first, !range.isEmpty, range != "*" else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") || parameter.hasPrefix("Q=") {
                guard let value = Double(parameter.dropFirst(2)), value >= 0, value <= 1 else { q = -1; break }
                q = value
            }
            guard q > 0, let tag = try? LocaleTag(parsing: String(range)) else { continue }
            weighted.append((tag, q, order))
        }
        return weighted.sorted { ($0.q, -$0.order) > ($1.q, -$1.order) }.map(\.tag)
    }
}

extension Translations {
    /// Of the languages a browser asks for (most wanted first), the first the content speaks: one it has
    /// translations for before falling back to the default, or the default's own language (`en-GB` when the default
    /// is `en`); else the first asked; nil when none is asked.
    public func best(of asked: [LocaleTag]) -> LocaleTag? {
        for tag in asked {
            let own = chain(for: tag).prefix { $0 != defaultLocale }
            if tag.language == defaultLocale.language || own.contains(where: { catalogs[$0] != nil }) { return tag }
        }
        return asked.first
    }
}
