/// A place in a text: a file of the content folder (`emails/welcome.liquid`), or, with no file, the text a checker
/// was given (a rendered message's output).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file, relative to the content folder; nil for the checked text itself.
    public var file: String?
    /// 1-based line.
    public var line: Int
    /// 1-based column, in characters.
    public var column: Int

    public init(file: String?, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// By file (the checked text first), then line and column.
    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file ?? "", a.line, a.column) < (b.file ?? "", b.line, b.column)
    }

    /// `file:line:column`, or `line:column` for the checked text.
    public var description: String { (file.map { "\($0):" } ?? "") + "\(line):\(column)" }
}

/// One problem, wherever it was found: the Liquid parser or renderer, content loading, the HTML checker, a channel's
/// checks of its output, `stagecraft check`. The API gives every one in the same JSON and the command line prints
/// every one as `file:line:column: severity: message [code]`.
///
/// A problem found in a render's output is first at its place in that output (``location`` with no file); the
/// delivery pipeline then moves it to the template line that wrote it (``placed(at:)``) and keeps the output's place
/// in ``output``.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    /// What found it.
    public enum Kind: String, Sendable {
        /// The Liquid parser or renderer.
        case liquid
        /// Loading the content folder: YAML, front matter, rules, catalogs, references between files.
        case content
        /// The HTML checker, on a block's or an email's output.
        case html
        /// A channel's checks of output that is not HTML (a push notification's fields).
        case output
    }

    public var severity: Severity
    public var kind: Kind
    /// A stable, machine-readable name for the problem (`unknown-element`, `syntax`, `push-title-long`), when it has one.
    public var code: String?
    /// A sentence a template author understands.
    public var message: String
    /// Where the problem is.
    public var location: SourceLocation
    /// For a problem found in a render's output and placed in its template: where it is in the output.
    public var output: SourceLocation?
    /// The line of text the problem is on, when the finder quoted it.
    public var sourceLine: String

    public init(_ severity: Severity, _ kind: Kind, code: String? = nil, _ message: String, at location: SourceLocation,
                sourceLine: String = "")
    {
        self.severity = severity
        self.kind = kind
        self.code = code
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
    }

    /// An error or warning at `line:column` of `file`.
    public init(_ severity: Severity, _ kind: Kind, code: String? = nil, _ message: String, file: String?,
                line: Int, column: Int)
    {
        self.init(severity, kind, code: code, message, at: SourceLocation(file: file, line: line, column: column))
    }

    /// The line of ``location``.
    public var line: Int { location.line }
    /// The column of ``location``.
    public var column: Int { location.column }
    /// The file of ``location``, nil for the checked text.
    public var file: String? { location.file }
    public var isError: Bool { severity == .error }

    /// The problem moved to the template line that wrote the output it is in, with its place in the output kept.
    public func placed(at origin: SourceLocation) -> Diagnostic {
        var copy = self
        copy.output = copy.output ?? location
        copy.location = origin
        return copy
    }

    /// `file:line:column: severity: message [code]`, with the output's place after it for a placed problem.
    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if let code { text += " [\(code)]" }
        if let output { text += " (output \(output.line):\(output.column))" }
        return text
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter(\.isError) }
    public var warnings: [Diagnostic] { filter { !$0.isError } }
    public var hasErrors: Bool { contains(where: \.isError) }

    /// In the order a reader goes through the files: by place, then message.
    public func sortedByPlace() -> [Diagnostic] {
        sorted { ($0.location, $0.message) < ($1.location, $1.message) }
    }
}
