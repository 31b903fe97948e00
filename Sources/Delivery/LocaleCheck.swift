import Content
import Diagnostics
import Foundation
import HTMLCheck
import Localization

/// One locale's share of the translation keys the templates use (`check --format json` gives a table of them).
public struct LocaleCoverage: Sendable {
    public let locale: LocaleTag
    /// Its file, nil when it has none (the default locale may not).
    public let file: String?
    /// The keys the templates give `t`, and how many of them the locale has.
    public let keys: Int
    public let translated: Int
    /// The keys it lacks, in the order the templates use them.
    public let missing: [String]
}

/// What `check` finds in a content set's languages, besides what rendering in each shows: keys a template asks for
/// that a locale lacks (at the `t` call), keys no template uses, plural forms a language needs that a key lacks,
/// `{{ slots }}` that differ from the default locale's, `_html` texts that are not valid HTML; and how much of the
/// keys the templates use each locale has.
struct LocaleCheck {
    typealias Coverage = LocaleCoverage

    /// A `'key' | t` in a template file, where it is written.
    struct Use {
        let key: String
        let file: String
        let line: Int
        let column: Int
    }

    /// Every literal key given to `t` in `files` (templates, partials and layouts, front matter included), and
    /// every other quoted text that is one of `keys` (a key handed to a partial that gives it to `t`).
    static func uses(in files: [String: String], keys: Set<String> = []) -> [Use] {
        var found: [Use] = []
        for (file, text) in files where file.hasSuffix(".liquid") {
            let bytes = Array(text.utf8)
            var i = 0
            var line = 1, lineStart = 0
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x0A { line += 1; lineStart = i + 1; i += 1; continue }
                guard b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") else { i += 1; continue }
                // A quoted key of letters, digits, `_`, `-` and `.`, then `| t` (with optional spaces).
                var j = i + 1
                while j < bytes.count, Self.isKeyByte(bytes[j]) { j += 1 }
                guard j < bytes.count, bytes[j] == b, j > i + 1 else { i += 1; continue }
                let key = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
                var k = j + 1
                while k < bytes.count, bytes[k] == 0x20 { k += 1 }
                var piped = false
                if k < bytes.count, bytes[k] == UInt8(ascii: "|") {
                    k += 1
                    while k < bytes.count, bytes[k] == 0x20 { k += 1 }
                    piped = k < bytes.count && bytes[k] == UInt8(ascii: "t") && (k + 1 == bytes.count || !Self.isKeyByte(bytes[k + 1]))
                }
                guard piped || keys.contains(key) else { i = j + 1; continue }
                let column = String(decoding: bytes[lineStart..<i], as: UTF8.self).count + 1
                found.append(Use(key: key, file: file, line: line, column: column))
                i = j + 1
            }
        }
        return found.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
    }

    /// The findings, and each locale's coverage.
    static func run(_ translations: Translations, files: [String: String]) -> ([Diagnostic], [Coverage]) {
        var findings: [Diagnostic] = []
        let uses = uses(in: files, keys: Set(translations.catalogs.values.flatMap(\.entries.keys)))
        let defaultCatalog = translations.catalogs[translations.defaultLocale]
        // The embed script's words the content translates are used by every page (see EmbedWords).
        let words = EmbedWords.keys.filter { key in translations.catalogs.values.contains { $0.entries[key] != nil } }
        let used = Set(uses.map(\.key)).union(words)
        var coverage: [Coverage] = []
        for locale in translations.locales {
            let catalog = translations.catalogs[locale]
            let file = catalog?.file ?? "locales/\(locale.identifier).json"
            let text = files[file] ?? ""
            func at(_ key: String) -> (Int, Int) { position(ofKey: key, in: text) }
            // Keys asked for that this locale lacks: at each `t` call, once per key and file.
            var reported = Set<String>()
            var missing: [String] = []
            for use in uses where catalog?.entries[use.key] == nil {
                if !missing.contains(use.key) { missing.append(use.key) }
                guard reported.insert(use.key + "|" + use.file).inserted else { continue }
                let fallback = translations.serving(locale).lookup(use.key)?.1.tag
                let message = fallback.map { "no \"\(use.key)\" in \(file): \(locale) readers get the \($0) text" }
                    ?? "no \"\(use.key)\" in \(file), nor in any locale it falls back to: readers see \"translation missing\""
                findings.append(Diagnostic(fallback == nil ? .error : .warning, .content, code: "missing-translation", message,
                                           file: use.file, line: use.line, column: use.column))
            }
            // An embed word another locale has and this one lacks: the reader gets the fallback's (or English).
            for key in words where catalog?.entries[key] == nil {
                missing.append(key)
                findings.append(Diagnostic(.warning, .content, code: "missing-translation",
                                           "no \"\(key)\" in \(file): \(locale) readers get the embed script's word from "
                                               + (translations.serving(locale).lookup(key).map { "\($0.1.tag)" } ?? "English"),
                                           file: file, line: 1, column: 1))
            }
            coverage.append(Coverage(locale: locale, file: catalog?.file, keys: used.count,
                                     translated: used.filter { catalog?.entries[$0] != nil }.count, missing: missing))
            guard let catalog else { continue }
            let rule = PluralRules.cldr.rule(for: locale)
            for (key, translation) in catalog.entries.sorted(by: { $0.key < $1.key }) {
                let (line, column) = at(key)
                func note(_ severity: Diagnostic.Severity, _ code: String, _ message: String) {
                    findings.append(Diagnostic(severity, .content, code: code, message, file: catalog.file, line: line, column: column))
                }
                if !used.contains(key) {
                    note(.warning, "unused-translation", "\"\(key)\" is used by no template (a key given to t as text)")
                }
                if case .plural(let forms) = translation.form {
                    let lacking = rule.categories.filter { forms[$0] == nil }
                    if !lacking.isEmpty {
                        note(.warning, "missing-plural-form",
                             "\"\(key)\" has no \(lacking.map(\.rawValue).joined(separator: ", ")) form: \(locale) needs "
                                 + rule.categories.map(\.rawValue).joined(separator: ", ") + " (CLDR); the other form stands in")
                    }
                }
                if locale != translations.defaultLocale, let original = defaultCatalog?.entries[key] {
                    let mine = Set(translation.texts.flatMap(\.variables)), theirs = Set(original.texts.flatMap(\.variables))
                    // A plural text may leave out {{ count }} (one, two), which the filter always has.
                    if mine.subtracting(["count"]) != theirs.subtracting(["count"]) {
                        note(.warning, "translation-slots-differ",
                             "\"\(key)\" fills " + Self.names(mine) + " where \(translations.defaultLocale) fills " + Self.names(theirs))
                    }
                }
                if translation.isHTML {
                    for text in translation.texts {
                        let sample = text.render({ _ in "x" })
                        for d in HTMLValidator.validate(sample, channel: .web, direction: translations.direction(of: locale)).errors {
                            note(.error, "invalid-translation-html", "\"\(key)\" is not valid HTML: \(d.message)")
                        }
                    }
                }
            }
        }
        return (findings, coverage)
    }

    static func names(_ set: Set<String>) -> String {
        set.isEmpty ? "no slot" : set.sorted().map { "{{ \($0) }}" }.joined(separator: ", ")
    }

    /// Where a dotted key's last part is written in a locale file (its first occurrence after its parents').
    static func position(ofKey key: String, in text: String) -> (Int, Int) {
        var from = text.startIndex
        for part in key.split(separator: ".") {
            guard let range = text.range(of: "\"\(part)\"", range: from..<text.endIndex) else { break }
            from = range.lowerBound
        }
        let before = text[..<from]
        let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        return (line, text[lineStart..<from].count + 1)
    }
}
