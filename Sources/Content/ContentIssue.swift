/// One problem found in a content set, at a place in a file: `emails/cart.liquid:7:12: error: ...`.
public struct ContentIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    /// The file, relative to the content folder.
    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity = .error, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// A content set that did not load, with every problem found (not just the first).
public struct ContentError: Error, Sendable, CustomStringConvertible {
    public let issues: [ContentIssue]

    public init(_ issues: [ContentIssue]) { self.issues = issues }

    public var description: String {
        let errors = issues.filter { $0.severity == .error }.count
        return (["content not loaded: \(errors) error\(errors == 1 ? "" : "s")"] + issues.map(\.description))
            .joined(separator: "\n")
    }
}
