import Liquid
import Localization
import Personalization

/// The words the embed script puts around served blocks (a tour's buttons, close buttons' labels, a survey's thanks),
/// in the reader's language: the content's `stagecraft.ui.<name>` keys in its locale files (looked up along the
/// reader's fallback chain like any key), English where the content has none. Answers that fill a page (`decide`,
/// tours) carry them as `ui`.
public enum EmbedWords {
    public static let prefix = "stagecraft.ui."

    /// Each word's name and its English.
    public static let english: [(name: String, text: String)] = [
        ("next", "Next"), ("back", "Back"), ("done", "Done"), ("close_tour", "Close the tour"), ("tour_step", "Tour step"),
        ("dismiss", "Dismiss"), ("dismiss_tip", "Dismiss tip"), ("tip", "Tip"), ("thanks", "Thank you for answering."),
        ("answer_failed", "Your answer could not be sent; please try again later."),
    ]

    /// Every key the content may give them under.
    public static let keys: [String] = english.map { prefix + $0.name }

    /// The words for a reader served as `locale`, as the answers' `ui` object.
    public static func value(for locale: ServedLocale) -> Value {
        var words = LiquidObject()
        for (name, text) in english {
            words[name] = .string(locale.lookup(prefix + name).flatMap { plain($0.0) } ?? text)
        }
        return .object(words)
    }

    /// A translation's text as written (a word has no slots and no plural forms; any slot is left empty).
    static func plain(_ translation: Translation) -> String? {
        guard let text = translation.text(for: .other)?.render({ _ in nil }), !text.isEmpty else { return nil }
        return text
    }
}

extension DeliveryContent {
    /// The embed script's words for `user`, in the locale their blocks are served in.
    public func embedWords(for user: UserMoment) -> Value {
        EmbedWords.value(for: served(user))
    }
}
