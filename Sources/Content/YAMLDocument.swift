import Diagnostics
import Foundation
import Liquid
import Personalization
import Yams

/// YAML read for content: every value keeps the line and column it was written at, so a wrong field is reported
/// where the author wrote it.
struct YAMLNode {
    enum Kind {
        case scalar(Value)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    let kind: Kind
    let line: Int
    let column: Int

    /// Reads the first document of `text`; `firstLine` is the file line `text` starts on. An empty document is nil.
    static func parse(_ text: String, firstLine: Int, log: IssueLog) -> YAMLNode? {
        do {
            guard let root = try Yams.compose(yaml: text) else { return nil }
            return convert(root, lineOffset: firstLine - 1, log: log)
        } catch let error as YamlError {
            let (line, column, problem) = describe(error)
            log.error(line: line + firstLine - 1, column: column, "YAML: \(problem)")
            return nil
        } catch {
            log.error(line: firstLine, column: 1, "YAML: \(error)")
            return nil
        }
    }

    private static func describe(_ error: YamlError) -> (Int, Int, String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return (mark.line, mark.column, text)
        case .reader(let problem, _, _, _):
            return (1, 1, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (context.mark.line, context.mark.column, "duplicate keys \(duplicates.joined(separator: ", "))")
        default:
            return (1, 1, String(describing: error))
        }
    }

    private static func convert(_ node: Node, lineOffset: Int, log: IssueLog) -> YAMLNode {
        let line = (node.mark?.line ?? 1) + lineOffset
        let column = node.mark?.column ?? 1
        switch node {
        case .scalar(let scalar):
            let value: Value
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: value = .null
            case Tag.Name.bool.rawValue: value = node.bool.map(Value.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: value = node.int.map(Value.int) ?? .string(scalar.string)
            case Tag.Name.float.rawValue: value = node.float.map(Value.double) ?? .string(scalar.string)
            default: value = .string(scalar.string)
            }
            return YAMLNode(kind: .scalar(value), line: line, column: column)
        case .mapping(let mapping):
            let pairs = mapping.map { pair in
                (key: convert(pair.key, lineOffset: lineOffset, log: log),
                 value: convert(pair.value, lineOffset: lineOffset, log: log))
            }
            return YAMLNode(kind: .mapping(pairs), line: line, column: column)
        case .sequence(let sequence):
            return YAMLNode(kind: .sequence(sequence.map { convert($0, lineOffset: lineOffset, log: log) }),
                            line: line, column: column)
        case .alias:
            log.error(line: line, column: column, "YAML aliases are not supported here; write the value out")
            return YAMLNode(kind: .scalar(.null), line: line, column: column)
        }
    }

    /// The node as plain data (mapping keys as strings, in written order).
    var value: Value {
        switch kind {
        case .scalar(let v): return v
        case .sequence(let items): return .array(items.map(\.value))
        case .mapping(let pairs): return .object(LiquidObject(pairs.map { ($0.key.text ?? "", $0.value.value) }))
        }
    }

    /// A scalar's text (numbers and booleans as written), nil for collections and null.
    var text: String? {
        guard case .scalar(let v) = kind else { return nil }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    var isNull: Bool {
        if case .scalar(.null) = kind { return true }
        return false
    }

    var kindName: String {
        switch kind {
        case .scalar(.null): return "nothing"
        case .scalar(.string): return "text"
        case .scalar(.int), .scalar(.double): return "a number"
        case .scalar(.bool): return "true/false"
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

/// The problems found in one file while loading it.
final class IssueLog {
    let file: String
    private(set) var issues: [Diagnostic] = []

    init(file: String) { self.file = file }

    func error(line: Int, column: Int, _ message: String) {
        issues.append(Diagnostic(.error, .content, message, file: file, line: line, column: column))
    }

    func error(at node: YAMLNode, _ message: String) { error(line: node.line, column: node.column, message) }

    func warning(line: Int, column: Int, code: String? = nil, _ message: String) {
        issues.append(Diagnostic(.warning, .content, code: code, message, file: file, line: line, column: column))
    }

    var hasErrors: Bool { issues.contains { $0.severity == .error } }
}

/// A YAML mapping read field by field; keys nobody asked for are reported as unknown (a typo caught at load, not
/// a setting silently ignored).
final class YAMLFields {
    let node: YAMLNode
    let log: IssueLog
    private var pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
    private var used: Set<String> = []

    /// Nil (and an error logged) when `node` is not a mapping.
    init?(_ node: YAMLNode, log: IssueLog, what: String) {
        self.node = node
        self.log = log
        guard case .mapping(let raw) = node.kind else {
            log.error(at: node, "\(what) must be a mapping of keys to values, not \(node.kindName)")
            return nil
        }
        for pair in raw {
            guard let key = pair.key.text else {
                log.error(at: pair.key, "keys in \(what) must be plain names")
                continue
            }
            pairs.append((key, pair.key, pair.value))
        }
    }

    var keys: [String] { pairs.map(\.key) }

    /// The keys not read so far, in order.
    var unusedKeys: [String] { pairs.map(\.key).filter { !used.contains($0) } }

    /// Where `key` is written.
    func keyNode(_ key: String) -> YAMLNode? { pairs.first { $0.key == key }?.keyNode }

    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    /// The value node under `key`, marking the key as known.
    func node(_ key: String) -> YAMLNode? {
        used.insert(key)
        guard let value = pairs.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let n = node(key) else {
            if required { log.error(at: node, "missing \"\(key)\"") }
            return nil
        }
        guard let text = n.text, !text.isEmpty else {
            log.error(at: n, "\"\(key)\" must be text, not \(n.kindName)")
            return nil
        }
        return text
    }

    func int(_ key: String) -> Int? {
        guard let n = node(key) else { return nil }
        guard case .scalar(.int(let i)) = n.kind else {
            log.error(at: n, "\"\(key)\" must be a whole number, not \(n.kindName)")
            return nil
        }
        return i
    }

    func number(_ key: String) -> Double? {
        guard let n = node(key) else { return nil }
        switch n.kind {
        case .scalar(.int(let i)): return Double(i)
        case .scalar(.double(let d)): return d
        default:
            log.error(at: n, "\"\(key)\" must be a number, not \(n.kindName)")
            return nil
        }
    }

    func bool(_ key: String) -> Bool? {
        guard let n = node(key) else { return nil }
        guard case .scalar(.bool(let b)) = n.kind else {
            log.error(at: n, "\"\(key)\" must be true or false, not \(n.kindName)")
            return nil
        }
        return b
    }

    /// A list of texts; a single text counts as a list of one.
    func strings(_ key: String) -> [String]? {
        guard let n = node(key) else { return nil }
        if let single = n.text { return [single] }
        guard case .sequence(let items) = n.kind else {
            log.error(at: n, "\"\(key)\" must be a list, not \(n.kindName)")
            return nil
        }
        var out: [String] = []
        for item in items {
            guard let text = item.text else {
                log.error(at: item, "items of \"\(key)\" must be text, not \(item.kindName)")
                continue
            }
            out.append(text)
        }
        return out
    }

    /// Reports every key not read so far, suggesting the closest known one.
    func reportUnknown(what: String) {
        for pair in pairs where !used.contains(pair.key) {
            var message = "unknown key \"\(pair.key)\" in \(what)"
            if let near = Suggestion.closest(to: pair.key, in: used) { message += " (did you mean \"\(near)\"?)" }
            log.error(at: pair.keyNode, message)
        }
    }
}

/// "Did you mean": the one suggestion every refusal of a misspelt name makes (content files and the API alike).
public enum Suggestion {
    /// The candidate within edit distance 2, if any.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(Array(word.lowercased()), Array(candidate.lowercased()))
            if d <= 2, d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
