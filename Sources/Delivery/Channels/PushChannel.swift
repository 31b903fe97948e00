import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

extension Channel {
    public static let push = Channel(rawValue: "push")!
}

/// A push notification: `title` and `body`, with an optional `image` (https) and `url` (https, or an app's deep link
/// such as `northwind://orders/42`), each a Liquid text in the front matter. Sent on its own like an email, with its
/// caps, windows and triggers. Rendered without HTML escaping, since a notification shows text as written, and then
/// every character is checked: no markup or character references left, no control characters, lengths within what
/// the common mobile platforms show, a payload within the 4 KB they accept, links that are links.
///
/// ```yaml
/// campaign: trial-ending-push
/// channel: push
/// stages: [revenue]
/// title: "{{ user.first_name }}, your trial ends in {{ facts.trial_days_left }} days"
/// body: Keep your reports and schedules: pick a plan in a minute.
/// url: northwind://billing/plans
/// ```
struct PushChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .push, placement: .optional, frontMatterKeys: ["title", "body", "image", "url"])

    /// Past these many characters the common platforms cut the text off in the notification (a warning).
    static let titleShown = 50
    static let bodyShown = 150
    /// The payload the platforms accept (APNs and FCM: 4 KB), as the fields' JSON in UTF-8.
    static let payloadBytes = 4096

    /// The fields in the order they are sent: title and body always, image and url when given.
    let fields: [(name: String, template: Template)]

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {
        let campaign = message.campaign
        func issue(_ text: String, at key: String? = nil) {
            issues.append(Diagnostic(.error, .content, text, file: message.file, line: key.map(message.line(of:)) ?? campaign.line, column: 1))
        }
        var fields: [(String, Template)] = []
        for key in ["title", "body", "image", "url"] {
            guard let raw = campaign.data[key] else {
                if key == "title" || key == "body" { issue("a push message needs a \"\(key)\"") }
                continue
            }
            guard let source = raw.stringValue else {
                issue("\"\(key)\" must be text", at: key)
                continue
            }
            do {
                fields.append((key, try content.environment.parse(source, name: "\(message.file) \(key)")))
            } catch {
                issue("\(key): \(error.message)", at: key)
            }
        }
        if !message.template.source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            issue("a push message is its front matter (title, body, image, url): the template after it must be empty")
        }
        if campaign.placement != nil {
            issue("a push is sent on its own, not shown in a slot: remove \"placement\"", at: "placement")
        }
        self.fields = fields
    }

    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        let campaign = message.campaign
        let data = delivery.data(for: message, campaign: campaign, user: user, extra: options.extra)
        let plain = delivery.renderOptions(for: user, strict: options.strict, autoescape: false)
        var values: [(name: String, value: String)] = []
        for (name, template) in fields {
            let text: String
            do {
                text = try template.render(data, options: plain)
            } catch {
                return .failed(delivery.failure(campaign, rendering: error, what: name,
                                                at: SourceLocation(file: message.file, line: message.line(of: name), column: 1)))
            }
            // Spaces and line breaks around a field are how YAML and Liquid tags leave it, not what the author meant;
            // Windows line ends in data are line breaks.
            let trimmed = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if (name == "image" || name == "url") && trimmed.isEmpty { continue }
            values.append((name, trimmed))
        }
        let diagnostics = Self.check(values, file: message.file, lines: message.keyLines, frontMatterLine: campaign.line)
        let output = RenderedFields(campaign: campaign, variant: DecisionEngine.variant(of: campaign, for: user.profile.id),
                                    fields: values, diagnostics: diagnostics)
        guard let first = diagnostics.first(where: { $0.severity == .error }) else {
            return ChannelRender(output: .fields(output))
        }
        let failure = delivery.failure(campaign, .invalidOutput, "the push notification cannot be sent: \(first.message)",
                                       diagnostics: diagnostics)
        return ChannelRender(output: .fields(output), failures: [failure])
    }

    /// Every problem with the rendered fields, each at the line its key is written on (`lines`; the front matter's
    /// first line when unknown), with the character it found in the message.
    static func check(_ fields: [(name: String, value: String)], file: String? = nil, lines: [String: Int] = [:],
                      frontMatterLine: Int = 1) -> [Diagnostic]
    {
        var found: [Diagnostic] = []
        func report(_ severity: Diagnostic.Severity, _ code: String, _ field: String, _ value: String, _ message: String) {
            found.append(Diagnostic(severity, .output, code: code, "\(field): \(message)",
                                    at: SourceLocation(file: file, line: lines[field] ?? frontMatterLine, column: 1), sourceLine: value))
        }
        for (name, value) in fields {
            switch name {
            case "title", "body":
                if value.isEmpty {
                    report(.error, "push-empty", name, value, "renders empty; a notification needs its \(name)")
                    continue
                }
                if let (position, what) = Self.firstForbidden(in: value, lineBreaksAllowed: name == "body") {
                    report(.error, what.code, name, value, "character \(position) of the rendered \(name) is \(what.message)")
                }
                let shown = name == "title" ? titleShown : bodyShown
                if value.count > shown {
                    report(.warning, "push-\(name)-long", name, value,
                           "\(value.count) characters; the common mobile platforms show about \(shown) and cut the rest")
                }
            case "image":
                if let problem = Self.linkProblem(value, deepLinks: false) { report(.error, "push-image-invalid", name, value, problem) }
            case "url":
                if let problem = Self.linkProblem(value, deepLinks: true) { report(.error, "push-url-invalid", name, value, problem) }
            default:
                break
            }
        }
        let payload = payloadSize(fields)
        if payload > payloadBytes {
            found.append(Diagnostic(.error, .output, code: "push-payload-too-large",
                                    "the notification is \(payload) bytes as an APNs payload; the platforms accept \(payloadBytes)",
                                    file: file, line: frontMatterLine, column: 1))
        }
        return found
    }

    /// The size of the fields as the larger of the platforms' payloads carries them (APNs: the alert's title and body
    /// under `aps`, the rest beside it), in UTF-8 bytes.
    static func payloadSize(_ fields: [(name: String, value: String)]) -> Int {
        let alert = fields.filter { $0.name == "title" || $0.name == "body" }.map { ($0.name, Value.string($0.value)) }
        var top: [(String, Value)] = [("aps", .object(LiquidObject([("alert", .object(LiquidObject(alert))), ("mutable-content", .int(1))])))]
        top += fields.filter { $0.name != "title" && $0.name != "body" }.map { ($0.name, Value.string($0.value)) }
        return JSON.serializeBytes(.object(LiquidObject(top))).count
    }

    private struct Forbidden {
        let code: String
        let message: String
    }

    /// The first character (its place, counted in characters as people see them) a notification must not carry: a
    /// control character (a line break is allowed in the body), a line or paragraph separator, a bidirectional
    /// embedding or override (which reorders what follows it: isolates, which do not, are fine), the start of a
    /// tag, or a character reference that would show as typed.
    private static func firstForbidden(in text: String, lineBreaksAllowed: Bool) -> (Int, Forbidden)? {
        let characters = Array(text)
        for (i, character) in characters.enumerated() {
            for s in character.unicodeScalars {
                let code = "U+" + String(repeating: "0", count: max(0, 4 - String(s.value, radix: 16).count))
                    + String(s.value, radix: 16, uppercase: true)
                if s.properties.generalCategory == .control && !(lineBreaksAllowed && s == "\n") {
                    return (i + 1, Forbidden(code: "push-control-character",
                                             message: "a control character (\(code)); notifications show text only"))
                }
                if (0x202A...0x202E).contains(s.value) || s.value == 0x2028 || s.value == 0x2029 {
                    return (i + 1, Forbidden(code: "push-control-character",
                                             message: s.value >= 0x202A ? "a bidirectional override (\(code)), which reorders the text after it"
                                                 : "a line or paragraph separator (\(code))"))
                }
            }
            if character == "<", i + 1 < characters.count {
                let next = characters[i + 1]
                if (next.isASCII && next.isLetter) || next == "/" || next == "!" || next == "?" {
                    return (i + 1, Forbidden(code: "push-markup",
                                             message: "markup (\"<\(next)...\"); a notification shows tags as typed: write text, "
                                                 + "and strip markup from user data with strip_html"))
                }
            }
            if character == "&", let length = referenceLength(characters, from: i) {
                let written = String(characters[i..<(i + length)])
                return (i + 1, Forbidden(code: "push-markup",
                                         message: "the character reference \"\(written)\", which would show as typed; write the character itself"))
            }
        }
        return nil
    }

    /// The length of an HTML character reference starting at `i` (`&amp;`, `&#39;`, `&#x27;`), if one is there.
    private static func referenceLength(_ s: [Character], from i: Int) -> Int? {
        var j = i + 1
        if j < s.count, s[j] == "#" {
            j += 1
            let hex = j < s.count && (s[j] == "x" || s[j] == "X")
            if hex { j += 1 }
            let start = j
            while j < s.count, hex ? s[j].isHexDigit && s[j].isASCII : s[j].isASCII && s[j].isNumber { j += 1 }
            return j > start && j < s.count && s[j] == ";" ? j - i + 1 : nil
        }
        let start = j
        while j < s.count, s[j].isASCII, s[j].isLetter || s[j].isNumber { j += 1 }
        return j > start && j < s.count && s[j] == ";" ? j - i + 1 : nil
    }

    /// Schemes that run script, read local data, or hand the tap to something other than the app (Android intents,
    /// iOS app installs, calls and messages): never a notification's link.
    static let refusedSchemes: Set<String> = ["http", "javascript", "vbscript", "data", "file", "blob", "about", "ftp", "filesystem",
                                              "view-source", "intent", "itms-services", "itms-apps", "market", "content", "tel", "sms",
                                              "facetime", "facetime-audio", "ws", "wss", "chrome", "resource", "jar"]

    /// Why `text` is not a link a notification may open (nil when it is one): https with a host, or, for the
    /// tap's `url`, an app's own scheme (`northwind://orders/42`); never script, data or plain http.
    static func linkProblem(_ text: String, deepLinks: Bool) -> String? {
        let expected = deepLinks ? "an https URL or an app link such as myapp://orders/42" : "an https URL"
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            return "\"\(text)\" has spaces or control characters; expected \(expected)"
        }
        guard let colon = text.firstIndex(of: ":"), let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              text[..<colon].lowercased() == scheme
        else {
            return "\"\(text)\" is not \(expected)"
        }
        if scheme == "https" {
            return (url.host ?? "").isEmpty ? "\"\(text)\" has no host" : nil
        }
        guard deepLinks, !refusedSchemes.contains(scheme), text[colon...].hasPrefix(":/") else {
            return scheme == "http" ? "\"\(text)\" is plain http; use https" : "\"\(text)\" is not \(expected)"
        }
        return nil
    }
}
