import Diagnostics

/// A parse or render error, with where it happened in which template.
///
/// The line, column and the source excerpt with a caret are computed from the byte offset
/// only when the error is reported, so raising an error costs nothing up front.
///
/// ```
/// banner.liquid:3:9: Liquid syntax error: Unknown tag 'endfi'
///   3 | {% if x %}{% endfi %}
///     |         ^
/// ```
public struct LiquidError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case syntax = "Liquid syntax error"
        case argument = "Liquid error"
        case undefinedVariable = "Liquid undefined variable"
        case undefinedFilter = "Liquid undefined filter"
        case resourceLimit = "Liquid resource limit"
        case fileSystem = "Liquid file system error"
        case zeroDivision = "Liquid divide by zero"
        /// The render ran past its deadline (``RenderOptions/deadline``).
        case timeout = "Liquid render timeout"
        /// The render was stopped from outside (``RenderOptions/isCancelled``): its answer is no longer wanted.
        case cancelled = "Liquid render cancelled"

        /// A stable machine-readable name, for JSON answers and metrics.
        public var code: String {
            switch self {
            case .syntax: return "syntax"
            case .argument: return "argument"
            case .undefinedVariable: return "undefined_variable"
            case .undefinedFilter: return "undefined_filter"
            case .resourceLimit: return "resource_limit"
            case .fileSystem: return "file_system"
            case .zeroDivision: return "zero_division"
            case .timeout: return "render_timeout"
            case .cancelled: return "render_cancelled"
            }
        }
    }

    public var kind: Kind
    /// The sentence that says what is wrong, without location.
    public var message: String
    /// The template's name, when it has one (partials always do).
    public var templateName: String?
    /// Byte offset into ``source`` where the problem is.
    public var offset: Int?
    /// The template source the offset points into.
    public var source: String?
    /// The line of its file that ``source`` starts on (templates after front matter start below line 1).
    public var firstLine = 1

    public init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    static func syntax(_ message: String, at offset: Int? = nil) -> LiquidError {
        LiquidError(.syntax, message, offset: offset)
    }

    static func argument(_ message: String) -> LiquidError {
        LiquidError(.argument, message)
    }

    /// Fills in the location when the error does not have one yet.
    func located(at offset: Int) -> LiquidError {
        guard self.offset == nil else { return self }
        var copy = self
        copy.offset = offset
        return copy
    }

    /// Attaches the template the error came from, unless a nested template already did.
    func attributed(to name: String?, source: String, firstLine: Int = 1) -> LiquidError {
        guard self.source == nil else { return self }
        var copy = self
        copy.templateName = name
        copy.source = source
        copy.firstLine = firstLine
        return copy
    }

    /// 1-based line of the error, when known.
    public var line: Int? { position?.line }
    /// 1-based column of the error in characters, when known.
    public var column: Int? { position?.column }

    private var position: SourcePosition? {
        guard let offset, let source else { return nil }
        return SourcePosition(offset: offset, in: source, firstLine: firstLine)
    }

    /// The line of the source the error is on, without its line end.
    private var sourceLine: String? {
        guard let position, let source else { return nil }
        var text = String(decoding: Array(source.utf8)[position.lineStart..<position.lineEnd], as: UTF8.self)
        if text.last == "\r" { text.removeLast() }
        return text
    }

    /// The offending source line and a caret under the column, or `nil` without a location.
    public var excerpt: String? {
        guard let position, let text = sourceLine else { return nil }
        let number = String(position.line)
        let gutter = String(repeating: " ", count: number.count)
        let pad = String(text.unicodeScalars.prefix(position.column - 1).map { $0 == "\t" ? "\t" : " " })
        return "  \(number) | \(text)\n  \(gutter) | \(pad)^"
    }

    /// The error as a ``Diagnostic``, in `file` (the file of the template the error names; the caller knows how
    /// template names map to files), with the offending line quoted.
    public func diagnostic(file: String?) -> Diagnostic {
        Diagnostic(.error, .liquid, code: kind.code, "\(kind.rawValue): \(message)",
                   at: SourceLocation(file: file, line: line ?? 1, column: column ?? 1), sourceLine: sourceLine ?? "")
    }

    /// `name:line:column: kind: message`, then the excerpt.
    public var description: String {
        var head = ""
        if let templateName { head += templateName }
        if let line, let column { head += (head.isEmpty ? "line " : ":") + "\(line):\(column)" }
        var text = head.isEmpty ? "\(kind.rawValue): \(message)" : "\(head): \(kind.rawValue): \(message)"
        if let excerpt { text += "\n" + excerpt }
        return text
    }
}

/// Where a byte offset of a template's source is in its file: the line (counted from `firstLine`), the column in
/// characters, and the byte range of that line.
struct SourcePosition {
    let line: Int
    let column: Int
    let lineStart: Int
    let lineEnd: Int

    init(offset: Int, in source: String, firstLine: Int) {
        let bytes = Array(source.utf8)
        let clamped = min(max(offset, 0), bytes.count)
        var line = firstLine
        var lineStart = 0
        for i in 0..<clamped where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        var lineEnd = clamped
        while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
        self.line = line
        self.column = String(decoding: bytes[lineStart..<clamped], as: UTF8.self).unicodeScalars.count + 1
        self.lineStart = lineStart
        self.lineEnd = lineEnd
    }
}
