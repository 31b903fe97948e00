import Diagnostics
import Liquid

/// A content set that did not load, with every problem found (not just the first).
public struct ContentError: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        let errors = diagnostics.errors.count
        return (["content not loaded: \(errors) error\(errors == 1 ? "" : "s")"] + diagnostics.map(\.description))
            .joined(separator: "\n")
    }
}

extension LiquidError {
    /// The error as a ``Diagnostic`` in the content folder: in the partial or layout it names (`partials/box`
    /// is `partials/box.liquid`), else in `file`, the template that was parsed or rendered.
    public func diagnostic(in file: String) -> Diagnostic {
        diagnostic(file: templateName.map { $0 + ".liquid" } ?? file)
    }
}

extension Diagnostic {
    /// The problem as the API and `stagecraft check --format json` give every one: `source` (what found it),
    /// `file` (`output` for a place in a render's output), `line`, `column`, `severity`, `code` when it has one,
    /// `message`; and for a problem found in a render's output and placed in its template, `output_line` and
    /// `output_column`.
    public var value: Value {
        var o = LiquidObject([
            ("source", .string(kind.rawValue)), ("file", .string(file ?? "output")), ("line", .int(line)),
            ("column", .int(column)), ("severity", .string(severity.rawValue)),
        ])
        if let code { o["code"] = .string(code) }
        o["message"] = .string(message)
        if let output {
            o["output_line"] = .int(output.line)
            o["output_column"] = .int(output.column)
        }
        return .object(o)
    }
}
