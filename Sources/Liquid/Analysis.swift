/// What a template uses, found without rendering it: for `stagecraft check` to tell which profile fields a template needs.
public struct TemplateAnalysis: Sendable, Equatable {
    /// Every variable path read, as written (`user.first_name`, `cart.items`), in first-use order.
    public private(set) var variables: [String] = []
    /// Variables read that the template does not set itself (its inputs).
    public private(set) var globalVariables: [String] = []
    /// Names the template assigns or captures.
    public private(set) var assigned: [String] = []
    /// Filters called, by name, in first-use order.
    public private(set) var filters: [String] = []
    /// Filters called that the environment does not define.
    public private(set) var unknownFilters: [String] = []
    /// Tags used, by name.
    public private(set) var tags: [String] = []
    /// Partials named by `render` and `include` with a literal name.
    public private(set) var partials: [String] = []
    /// Names of the `{% block %}`s the template defines, in order.
    public private(set) var blocks: [String] = []

    private var locals: [Set<String>] = [[]]

    public init() {}

    mutating func block(_ name: String) {
        if !blocks.contains(name) { blocks.append(name) }
    }

    mutating func add(_ expression: FilteredExpression) {
        add(expression.base)
        for call in expression.filters {
            if !filters.contains(call.name) { filters.append(call.name) }
            if call.function == nil && !unknownFilters.contains(call.name) { unknownFilters.append(call.name) }
            for a in call.arguments { add(a) }
            for (_, e) in call.keywordArguments { add(e) }
        }
    }

    mutating func add(_ expression: Expression) {
        switch expression {
        case .literal: return
        case .range(let a, let b, _):
            add(a)
            add(b)
        case .variable(let lookup):
            if case .expression(let e) = lookup.root { add(e) }
            for case .index(let e) in lookup.path { add(e) }
            guard let segments = lookup.staticSegments else { return }
            let path = segments.joined(separator: ".")
            if !variables.contains(path) { variables.append(path) }
            let root = segments[0]
            let isLocal = locals.contains { $0.contains(root) } || assigned.contains(root)
                || root == "forloop" || root == "tablerowloop"
            if !isLocal && !globalVariables.contains(path) { globalVariables.append(path) }
        }
    }

    mutating func add(_ condition: Condition) {
        switch condition {
        case .truthy(let e): add(e)
        case .compare(let a, _, let b, _):
            add(a)
            add(b)
        case .and(let a, let b), .or(let a, let b):
            add(a)
            add(b)
        }
    }

    mutating func tag(_ name: String) {
        if !tags.contains(name) { tags.append(name) }
    }

    mutating func assign(_ name: String) {
        if !assigned.contains(name) { assigned.append(name) }
    }

    mutating func partial(_ name: String) {
        if !partials.contains(name) { partials.append(name) }
    }

    /// Analyses `body` with `names` bound locally (loop variables).
    mutating func withLocals(_ names: [String], _ body: (inout TemplateAnalysis) -> Void) {
        locals.append(Set(names))
        body(&self)
        locals.removeLast()
    }
}
