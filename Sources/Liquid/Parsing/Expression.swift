/// A parsed Liquid expression: a literal, a variable lookup or a range.
indirect enum Expression: Sendable {
    case literal(Value)
    case variable(VariableLookup)
    case range(Expression, Expression, offset: Int)

}

/// `user.orders[0].title` or `["a key"].x`: a root followed by keys and bracketed lookups.
final class VariableLookup: Sendable {
    enum Root: Sendable {
        case name(String)
        case expression(Expression)
    }

    enum Segment: Sendable {
        case key(String)
        case index(Expression)
    }

    let root: Root
    let path: [Segment]
    /// Byte offset of the lookup in its template.
    let offset: Int

    init(root: Root, path: [Segment], offset: Int) {
        self.root = root
        self.path = path
        self.offset = offset
    }

    /// The lookup as it reads in a template, for errors and analysis (`user.orders[0].title`).
    var dottedName: String {
        var out: String
        switch root {
        case .name(let n): out = n
        case .expression(let e): out = "[\(e.sourceForm)]"
        }
        for segment in path {
            switch segment {
            case .key(let k): out += "." + k
            case .index(let e): out += "[\(e.sourceForm)]"
            }
        }
        return out
    }

    /// The root name and literal keys up to the first dynamic segment.
    var staticSegments: [String]? {
        guard case .name(let n) = root else { return nil }
        var out = [n]
        for segment in path {
            switch segment {
            case .key(let k): out.append(k)
            case .index(let e):
                if case .literal(.string(let s)) = e { out.append(s) }
                else if case .literal(.int(let i)) = e { out.append(String(i)) }
                else { return out }
            }
        }
        return out
    }
}

extension Expression {
    /// The expression written back as Liquid source.
    var sourceForm: String {
        switch self {
        case .literal(let v):
            switch v {
            case .string(let s): return "\"" + s + "\""
            case .null: return "nil"
            case .empty: return "empty"
            case .blank: return "blank"
            default: return v.description
            }
        case .variable(let lookup): return lookup.dottedName
        case .range(let a, let b, _): return "(\(a.sourceForm)..\(b.sourceForm))"
        }
    }
}
