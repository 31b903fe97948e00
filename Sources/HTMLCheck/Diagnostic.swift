/// Where HTML is going: a fragment for a web or in-app placement, or a whole email document.
public enum HTMLChannel: String, Sendable, CaseIterable {
    case web
    case email
}

/// One problem found in a piece of HTML, with where it is and what to do about it.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    /// 1-based line in the checked HTML.
    public var line: Int
    /// 1-based column in characters.
    public var column: Int
    /// A stable, machine-readable name for the problem, such as `unknown-element`.
    public var code: String
    /// A sentence a template author understands.
    public var message: String
    /// The line of HTML the problem is on.
    public var sourceLine: String
    /// Where in the templates the offending output was written (the message, a partial or a layout), when the
    /// renderer said; `line` and `column` stay the output's.
    public var origin: Origin?

    /// A place in a template file.
    public struct Origin: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int

        public init(file: String, line: Int, column: Int) {
            self.file = file
            self.line = line
            self.column = column
        }

        public var description: String { "\(file):\(line):\(column)" }
    }

    public init(severity: Severity, line: Int, column: Int, code: String, message: String, sourceLine: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.code = code
        self.message = message
        self.sourceLine = sourceLine
    }

    /// `line:column: severity: message [code]`.
    public var description: String { "\(line):\(column): \(severity.rawValue): \(message) [\(code)]" }
}

/// Everything found in one piece of HTML.
public struct HTMLReport: Sendable {
    public var diagnostics: [Diagnostic]

    /// Whether the HTML may be served: no diagnostic is an error.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

extension HTMLReport {
    /// The report with its clipping warning about `finalBytes`, the size of the email as sent (inlined styles and
    /// decorated links make it larger than the template's output that was checked).
    public func withClippingChecked(finalBytes: Int) -> HTMLReport {
        var copy = self
        copy.diagnostics.removeAll { $0.code == "email-clipped" }
        if finalBytes > HTMLValidator.emailClippingBytes {
            copy.diagnostics.append(Diagnostic(severity: .warning, line: 1, column: 1, code: "email-clipped",
                                               message: "The email's HTML is \(finalBytes / 1024) KB as sent; Gmail clips messages past 102 KB",
                                               sourceLine: ""))
        }
        return copy
    }
}
