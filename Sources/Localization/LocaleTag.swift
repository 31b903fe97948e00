/// A BCP 47 language tag, checked and in its canonical case: `fr_ca` is `fr-CA`, `ZH-hant-tw` is `zh-Hant-TW`.
///
/// The syntax is RFC 5646's (language, extended language, script, region, variants, extensions, private use);
/// which languages and regions exist is not checked here (CLDR's data, through the formatters, knows that).
public struct LocaleTag: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The tag in canonical case, subtags joined by `-`.
    public let identifier: String
    /// The subtags, canonical case.
    public let subtags: [String]

    /// Reads a tag, with `-` or `_` between subtags, in any case.
    public init(parsing text: String) throws(LocaleTagError) {
        // Most tags come as they are written canonically (a stored profile's, a locale file's): `fr`, `fr-CA`,
        // `zh-Hans`, `zh-Hant-TW`, `es-419`. Those are taken as they are.
        if let subtags = Self.canonicalSubtags(text) {
            self.subtags = subtags
            identifier = text
            return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }.map(String.init)
        guard !text.isEmpty, text.utf8.count <= 64 else { throw LocaleTagError(text: text, reason: "a language tag has 1 to 64 characters") }
        var canonical: [String] = []
        var state = State.language
        var extlangs = 0
        // Variants and extension singletons seen (none may repeat); whether private use has a subtag yet.
        var variants = Set<String>(), singletons = Set<String>()
        var privateSubtags = 0
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 8, part.utf8.allSatisfy({ Self.isAlphanumeric($0) }) else {
                throw LocaleTagError(text: text, reason: "\"\(part)\" is not a subtag (1 to 8 letters or digits)")
            }
            let lower = part.lowercased()
            let letters = part.utf8.allSatisfy { Self.isLetter($0) }
            let digits = part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            switch state {
            case .language:
                guard letters, part.count == 2 || part.count == 3 || (5...8).contains(part.count) else {
                    throw LocaleTagError(text: text, reason: "\"\(part)\" is not a language (2, 3 or 5 to 8 letters)")
                }
                canonical.append(lower)
                state = part.count <= 3 ? .extlang : .script
                continue
            case .extlang:
                if letters && part.count == 3 && extlangs < 3 {
                    canonical.append(lower)
                    extlangs += 1
                    continue
                }
                state = .script
            case .script, .region, .variant, .extension, .extensionValue, .privateUse:
                break
            }
            if state == .script {
                state = .region
                if letters && part.count == 4 {
                    canonical.append(lower.prefix(1).uppercased() + lower.dropFirst())
                    continue
                }
            }
            if state == .region {
                state = .variant
                if (letters && part.count == 2) || (digits && part.count == 3) {
                    canonical.append(part.uppercased())
                    continue
                }
            }
            if state == .variant {
                if part.count >= 5 || (part.count == 4 && Self.isDigit(part.utf8.first!)) {
                    guard variants.insert(lower).inserted else { throw LocaleTagError(text: text, reason: "the variant \"\(part)\" is repeated") }
                    canonical.append(lower)
                    continue
                }
                state = .extension
            }
            if case .extensionValue(let first) = state {
                if part.count == 1 {
                    // The next extension (or private use), once this one has a value.
                    if first { throw LocaleTagError(text: text, reason: "the extension before \"\(part)\" has no value") }
                    state = .extension
                } else {
                    canonical.append(lower)
                    state = .extensionValue(first: false)
                    continue
                }
            }
            if state == .extension {
                if part.count == 1 {
                    guard lower != "x" else {
                        canonical.append(lower)
                        state = .privateUse
                        continue
                    }
                    guard singletons.insert(lower).inserted else {
                        throw LocaleTagError(text: text, reason: "the extension \"\(part)\" is repeated")
                    }
                    canonical.append(lower)
                    state = .extensionValue(first: true)
                    continue
                }
                throw LocaleTagError(text: text, reason: "\"\(part)\" is not a script, region, variant or extension here")
            }
            // Private use: anything of 1 to 8 letters or digits (x included).
            canonical.append(lower)
            privateSubtags += 1
        }
        if case .extensionValue(first: true) = state { throw LocaleTagError(text: text, reason: "the last extension has no value") }
        if state == .privateUse, privateSubtags == 0 { throw LocaleTagError(text: text, reason: "\"x\" is not followed by a private-use subtag") }
        subtags = canonical
        identifier = canonical.joined(separator: "-")
    }

    /// The subtags of `text` when it is a language (2 or 3 letters), an optional script and an optional region,
    /// each in canonical case, joined by `-`; nil for anything else (which the full reading decides).
    private static func canonicalSubtags(_ text: String) -> [String]? {
        let parts = text.utf8.split(separator: UInt8(ascii: "-"), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count <= 3, let language = parts.first, language.count == 2 || language.count == 3,
              language.allSatisfy(isLower)
        else { return nil }
        var index = 1
        if index < parts.count, parts[index].count == 4, let first = parts[index].first, isUpper(first),
           parts[index].dropFirst().allSatisfy(isLower)
        {
            index += 1
        }
        if index < parts.count {
            let region = parts[index]
            guard (region.count == 2 && region.allSatisfy(isUpper)) || (region.count == 3 && region.allSatisfy(isDigit))
            else { return nil }
            index += 1
        }
        guard index == parts.count else { return nil }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }

    private enum State: Equatable {
        case language, extlang, script, region, variant, `extension`, extensionValue(first: Bool), privateUse
    }

    /// A tag known to be well formed (a constant in code).
    public init(_ text: String) {
        // A constant that does not parse is a programming error.
        do { self = try LocaleTag(parsing: text) } catch { fatalError("\(error)") }
    }

    /// The language subtag (`zh` of `zh-Hant-TW`).
    public var language: String { subtags[0] }

    /// The script subtag, when the tag has one (`Hant`).
    public var script: String? { subtags.dropFirst().first { $0.count == 4 && Self.isLetter($0.utf8.first!) } }

    /// The region subtag, when the tag has one (`TW`, `419`).
    public var region: String? {
        for s in subtags.dropFirst() {
            if s.count == 1 { return nil }
            if (s.count == 2 && s.uppercased() == s && Self.isLetter(s.utf8.first!)) || (s.count == 3 && s.utf8.allSatisfy(Self.isDigit)) {
                return s
            }
        }
        return nil
    }

    /// The tags a lookup falls back to, most specific first, without this one: RFC 4647's truncation (`zh-Hant-TW`,
    /// then `zh-Hant`, then `zh`); an extension's singleton goes with its value.
    public var truncations: [LocaleTag] {
        var result: [LocaleTag] = []
        var parts = subtags
        while parts.count > 1 {
            parts.removeLast()
            if parts.count > 1, parts.last!.count == 1 { parts.removeLast() }
            result.append(LocaleTag(subtags: parts))
        }
        return result
    }

    private init(subtags: [String]) {
        self.subtags = subtags
        identifier = subtags.joined(separator: "-")
    }

    public var description: String { identifier }

    public static func < (a: LocaleTag, b: LocaleTag) -> Bool { a.identifier < b.identifier }

    // The identifier says it all: equality and hashing need not walk the subtags.
    public static func == (a: LocaleTag, b: LocaleTag) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static func isLetter(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isAlphanumeric(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }
}

/// A language tag that is not one, with why.
public struct LocaleTagError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "\"\(text)\" is not a language tag (BCP 47, such as fr, fr-CA or zh-Hant-TW): \(reason)" }
}
