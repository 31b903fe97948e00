import Diagnostics
import Foundation
import Liquid
import Localization

/// The content's languages: `locales.yml` (the default locale and extra fallbacks) and `locales/<tag>.json`
/// (translations in the nested format theme developers know), read into ``Translations``.
///
/// ```yaml
/// default: en
/// fallbacks:
///   pt-BR: [pt-PT]
/// numbering:          # digits, when not CLDR's default for the locale (Latin for ar and ar-AE, Arabic-Indic for ar-EG)
///   ar: arab
/// ```
enum LocaleFiles {
    static func read(_ files: [String: String], issues: inout [Diagnostic]) -> Translations {
        var defaultLocale = LocaleTag("en")
        var extras: [LocaleTag: [LocaleTag]] = [:]
        var numbering: [LocaleTag: String] = [:]
        if let text = files["locales.yml"] {
            let log = IssueLog(file: "locales.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log), let fields = YAMLFields(node, log: log, what: "locales.yml") {
                if let tagNode = fields.node("default") {
                    if let tag = Self.tag(tagNode, log: log) { defaultLocale = tag }
                }
                if let map = fields.node("fallbacks") {
                    if case .mapping(let pairs) = map.kind {
                        for (key, value) in pairs {
                            guard let from = Self.tag(key, log: log) else { continue }
                            let list: [YAMLNode]
                            if case .sequence(let items) = value.kind { list = items } else { list = [value] }
                            extras[from] = list.compactMap { Self.tag($0, log: log) }
                        }
                    } else {
                        log.error(at: map, "fallbacks must be a mapping of a locale to the locales it falls back to, such as pt-BR: [pt-PT]")
                    }
                }
                if let map = fields.node("numbering") {
                    if case .mapping(let pairs) = map.kind {
                        for (key, value) in pairs {
                            guard let tag = Self.tag(key, log: log) else { continue }
                            guard let system = value.text, Self.numberingSystems.contains(system) else {
                                log.error(at: value, "a numbering system is one of CLDR's, such as latn (0-9), arab (٠-٩), arabext (۰-۹), deva, hanidec, thai")
                                continue
                            }
                            numbering[tag] = system
                        }
                    } else {
                        log.error(at: map, "numbering must be a mapping of a locale to a numbering system, such as ar: arab")
                    }
                }
                fields.reportUnknown(what: "locales.yml")
            }
            issues += log.issues
        }
        var catalogs: [LocaleTag: LocaleCatalog] = [:]
        for file in files.keys.sorted() where file.hasPrefix("locales/") && file.hasSuffix(".json") {
            let name = String(file.dropFirst("locales/".count).dropLast(".json".count))
            let tag: LocaleTag
            do {
                tag = try LocaleTag(parsing: name)
            } catch {
                issues.append(Diagnostic(.error, .content, "the file name is not a locale: \(error)", file: file, line: 1, column: 1))
                continue
            }
            guard tag.identifier == name else {
                issues.append(Diagnostic(.error, .content, "name the file \(tag.identifier).json, the locale's canonical form", file: file,
                                         line: 1, column: 1))
                continue
            }
            let text = files[file]!
            let root: Value
            do {
                root = try JSON.parse(text)
            } catch {
                let (line, column) = position(ofByte: error.offset, in: text)
                issues.append(Diagnostic(.error, .content, "JSON: \(error.message)", file: file, line: line, column: column))
                continue
            }
            guard case .object(let object) = root else {
                issues.append(Diagnostic(.error, .content, "a locale file is a JSON object of keys to texts", file: file, line: 1, column: 1))
                continue
            }
            var entries: [String: Translation] = [:]
            flatten(object, prefix: "", file: file, text: text, into: &entries, issues: &issues)
            catalogs[tag] = LocaleCatalog(tag: tag, file: file, entries: entries)
        }
        return Translations(defaultLocale: defaultLocale, catalogs: catalogs, extraFallbacks: extras, numbering: numbering)
    }

    /// The numbering systems Foundation's ICU knows (CLDR's), the ones a `-u-nu-` can name.
    static let numberingSystems = Set(Locale.NumberingSystem.availableNumberingSystems.map(\.identifier))

    private static func tag(_ node: YAMLNode, log: IssueLog) -> LocaleTag? {
        guard let text = node.text else {
            log.error(at: node, "a locale is a language tag such as fr or pt-BR, not \(node.kindName)")
            return nil
        }
        do {
            return try LocaleTag(parsing: text)
        } catch {
            log.error(at: node, error.description)
            return nil
        }
    }

    /// Nested objects become dotted keys; an object whose keys are all plural categories (with `other` among them) is
    /// one key's plural forms.
    private static func flatten(_ object: LiquidObject, prefix: String, file: String, text: String,
                                into entries: inout [String: Translation], issues: inout [Diagnostic])
    {
        for (key, value) in object.pairs {
            let full = prefix.isEmpty ? key : prefix + "." + key
            func fail(_ message: String) {
                let (line, column) = position(of: "\"\(key)\"", in: text)
                issues.append(Diagnostic(.error, .content, "\(full): \(message)", file: file, line: line, column: column))
            }
            guard !key.isEmpty, !key.contains(".") else {
                fail("a key is a non-empty name without dots (nest objects for dotted keys)")
                continue
            }
            let isHTML = key.hasSuffix("_html")
            switch value {
            case .string(let s):
                do { entries[full] = Translation(form: .text(try MessageText(parsing: s, trusted: isHTML, escape: \.htmlEscaped)), isHTML: isHTML) } catch { fail(error.description) }
            case .object(let nested):
                let categories = nested.keys.compactMap(PluralCategory.init(rawValue:))
                if !nested.keys.isEmpty, categories.count == nested.keys.count {
                    guard categories.contains(.other) else {
                        fail("plural forms need \"other\" (the form every language has)")
                        continue
                    }
                    var forms: [PluralCategory: MessageText] = [:]
                    for (name, form) in nested.pairs {
                        guard case .string(let s) = form else { fail("the \(name) form must be text"); continue }
                        do { forms[PluralCategory(rawValue: name)!] = try MessageText(parsing: s, trusted: isHTML, escape: \.htmlEscaped) } catch { fail("\(name): \(error)") }
                    }
                    entries[full] = Translation(form: .plural(forms), isHTML: isHTML)
                } else {
                    flatten(nested, prefix: full, file: file, text: text, into: &entries, issues: &issues)
                }
            default:
                fail("a translation is text, plural forms ({\"one\": ..., \"other\": ...}) or nested keys, not \(JSON.serialize(value))")
            }
        }
    }

    static func position(ofByte offset: Int, in text: String) -> (Int, Int) {
        let bytes = Array(text.utf8.prefix(max(0, offset)))
        let line = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        return (line, String(decoding: bytes[lineStart...], as: UTF8.self).count + 1)
    }

    static func position(of needle: String, in text: String) -> (Int, Int) {
        guard let range = text.range(of: needle) else { return (1, 1) }
        return position(ofByte: text.utf8.distance(from: text.startIndex, to: range.lowerBound), in: text)
    }
}
