import Liquid
import Personalization

/// `email.yml`: what every email of the set shares.
///
/// ```yaml
/// unsubscribe: "https://northwind.example/unsubscribe?u={{ user.id | url_encode }}"
/// inline_css: true
/// links:
///   hosts: [northwind.example]          # links to these hosts (and their subdomains) get the parameters
///   parameters:                         # added unless the link has them already; Liquid, empty values left out
///     utm_source: newsletter
///     utm_medium: email
///     utm_campaign: "{{ campaign.id }}"
/// ```
///
/// A campaign's front matter may set its own `unsubscribe`, and `utm` (a mapping of parameters over these, or
/// `false` for none).
public struct EmailSettings: Sendable {
    /// A Liquid source with the line it is on, for reports.
    public struct Source: Sendable {
        public var text: String
        public var line: Int
    }

    public var unsubscribe: Source?
    /// Link parameters by name, in order.
    public var linkParameters: [(name: String, value: Source)] = []
    /// Hosts whose links are decorated, lowercased; empty means every http(s) link.
    public var trackedHosts: [String] = []
    /// Whether `<style>` rules are moved onto the elements (on unless turned off).
    public var inlineCSS = true

    public init() {}
}

extension ContentReader {
    static func emailSettings(_ root: YAMLNode, log: IssueLog) -> EmailSettings {
        var settings = EmailSettings()
        guard let f = YAMLFields(root, log: log, what: "email.yml") else { return settings }
        if let n = f.node("unsubscribe") {
            if let text = n.text, !text.isEmpty {
                settings.unsubscribe = .init(text: text, line: n.line)
            } else {
                log.error(at: n, "\"unsubscribe\" is the unsubscribe address (Liquid), not \(n.kindName)")
            }
        }
        settings.inlineCSS = f.bool("inline_css") ?? true
        if let node = f.node("links"), let links = YAMLFields(node, log: log, what: "links") {
            settings.trackedHosts = (links.strings("hosts") ?? []).map { $0.lowercased() }
            if let p = links.node("parameters") {
                settings.linkParameters = linkParameters(p, log: log)
            }
            links.reportUnknown(what: "links")
        }
        f.reportUnknown(what: "email.yml")
        return settings
    }

    /// A mapping of query parameter names to Liquid values.
    static func linkParameters(_ node: YAMLNode, log: IssueLog) -> [(name: String, value: EmailSettings.Source)] {
        guard case .mapping(let pairs) = node.kind else {
            log.error(at: node, "link parameters are a mapping such as { utm_source: newsletter }")
            return []
        }
        var out: [(name: String, value: EmailSettings.Source)] = []
        for pair in pairs {
            guard let name = pair.key.text, !name.isEmpty else { continue }
            guard let value = pair.value.text else {
                log.error(at: pair.value, "the parameter \"\(name)\" must be text, not \(pair.value.kindName)")
                continue
            }
            out.append((name, .init(text: value, line: pair.value.line)))
        }
        return out
    }
}
