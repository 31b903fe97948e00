import Foundation
import HTMLCheck

/// Adds tracking parameters (`utm_source`, `utm_campaign`...) to an email's links: only http(s) links, only to the
/// tracked hosts (and their subdomains) when some are named, never a parameter the link already has, never the
/// unsubscribe link, never a link marked `data-track="off"` (the mark itself is removed).
enum LinkDecoration {
    static func decorate(_ tree: HTMLTree, parameters: [(String, String)], hosts: [String], skipping unsubscribe: String?) {
        let parameters = parameters.filter { !$0.1.isEmpty }
        for node in tree.elements() {
            let tag = node.name
            guard tag == "a" || tag == "area" else { continue }
            if let mark = node.attribute("data-track") {
                node.removeAttribute("data-track")
                if mark.trimmed.lowercased() == "off" { continue }
            }
            guard !parameters.isEmpty, let href = node.attribute("href") else { continue }
            let url = href.trimmed
            if let unsubscribe, url == unsubscribe { continue }
            if let decorated = decorate(url, parameters: parameters, hosts: hosts), decorated != url {
                node.setAttribute("href", decorated)
            }
        }
    }

    /// The URL with the parameters it lacks, or nil when it is not one to decorate.
    static func decorate(_ url: String, parameters: [(String, String)], hosts: [String]) -> String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return nil }
        // Liquid left in an address (a template printing `{{ }}` into an href that another system fills) is left alone.
        if url.contains("{{") || url.contains("{%") { return nil }
        let afterScheme = url[url.index(url.firstIndex(of: ":")!, offsetBy: 3)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var host = authority.split(separator: "@").last.map(String.init) ?? ""
        if host.hasPrefix("[") {
            host = String(host.prefix { $0 != "]" }) + "]"
        } else if let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        host = host.lowercased()
        if !hosts.isEmpty, !hosts.contains(where: { host == $0 || host.hasSuffix("." + $0) }) { return nil }

        var base = Substring(url)
        var fragment = ""
        if let hash = base.firstIndex(of: "#") {
            fragment = String(base[hash...])
            base = base[..<hash]
        }
        var existing: Set<String> = []
        if let q = base.firstIndex(of: "?") {
            for pair in base[base.index(after: q)...].split(separator: "&") {
                let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                existing.insert((String(name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(name)))
            }
        }
        var added: [String] = []
        for (name, value) in parameters where !existing.contains(name) {
            added.append(percentEncode(name) + "=" + percentEncode(value))
        }
        guard !added.isEmpty else { return url }
        var separator = "?"
        if base.contains("?") { separator = base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&" }
        return String(base) + separator + added.joined(separator: "&") + fragment
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
