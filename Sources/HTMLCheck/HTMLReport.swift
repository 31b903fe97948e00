import Diagnostics

/// Where HTML is going: a fragment for a web or in-app placement, or a whole email document.
public enum HTMLChannel: String, Sendable, CaseIterable {
    case web
    case email
}

/// Everything found in one piece of HTML.
public struct HTMLReport: Sendable {
    public var diagnostics: [Diagnostic]

    /// Whether the HTML may be served: no diagnostic is an error.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { diagnostics.errors }
    public var warnings: [Diagnostic] { diagnostics.warnings }
}

extension HTMLReport {
    /// The report with its clipping warning about `finalBytes`, the size of the email as sent (inlined styles and
    /// decorated links make it larger than the template's output that was checked).
    public func withClippingChecked(finalBytes: Int) -> HTMLReport {
        var copy = self
        copy.diagnostics.removeAll { $0.code == "email-clipped" }
        if finalBytes > HTMLValidator.emailClippingBytes {
            copy.diagnostics.append(Diagnostic(.warning, .html, code: "email-clipped",
                                               "The email's HTML is \(finalBytes / 1024) KB as sent; Gmail clips messages past 102 KB",
                                               file: nil, line: 1, column: 1))
        }
        return copy
    }
}
