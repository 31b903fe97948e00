/// The elements open at a point of the source, innermost last.
///
/// Shallow stacks (nearly every block and email) are searched from the top, which costs less than hashing names.
/// Once the stack grows past ``indexedDepth``, each name's innermost position is kept in a table and every element
/// links to the previous open one of its name, so "is a `<p>` open, and above any `<table>`?" costs a few lookups
/// however deep the page is. Every element is pushed once and popped once: following a whole page is linear in its
/// tags either way.
struct OpenElements {
    private(set) var elements: [(name: String, offset: Int)] = []
    /// For each element, the index of the previous open element of the same name (-1 for none); kept with `innermost`.
    private var previous: [Int] = []
    /// The innermost open index of each name, once the stack has been deep.
    private var innermostByName: [String: Int]?
    /// How many `<svg>` and `<math>` are open: inside them element names are not HTML's.
    private(set) var foreignDepth = 0

    static let indexedDepth = 24

    var depth: Int { elements.count }

    mutating func push(_ name: String, at offset: Int) {
        if name == "svg" || name == "math" { foreignDepth += 1 }
        if innermostByName == nil && elements.count >= Self.indexedDepth { buildIndex() }
        if innermostByName != nil {
            previous.append(innermostByName![name] ?? -1)
            innermostByName![name] = elements.count
        }
        elements.append((name, offset))
    }

    private mutating func buildIndex() {
        var table: [String: Int] = [:]
        previous = elements.indices.map { i in
            defer { table[elements[i].name] = i }
            return table[elements[i].name] ?? -1
        }
        innermostByName = table
    }

    /// The index of the innermost open `name`.
    func innermost(_ name: String) -> Int? {
        if let innermostByName { return innermostByName[name] }
        return elements.lastIndex { $0.name == name }
    }

    /// The index of the innermost open element among `names`.
    func innermost(anyOf names: Set<String>) -> Int? {
        guard innermostByName != nil else { return elements.lastIndex { names.contains($0.name) } }
        var found: Int?
        for name in names {
            if let index = innermost(name), index > (found ?? -1) { found = index }
        }
        return found
    }

    func isOpen(_ names: Set<String>) -> Bool { innermost(anyOf: names) != nil }

    /// Removes the element at `index` and everything inside it, innermost first, handing each to `closed`.
    mutating func pop(from index: Int, _ closed: (_ name: String, _ offset: Int) -> Void = { _, _ in }) {
        while elements.count > index {
            let (name, offset) = elements.removeLast()
            if name == "svg" || name == "math" { foreignDepth -= 1 }
            if innermostByName != nil {
                let before = previous.removeLast()
                innermostByName![name] = before >= 0 ? before : nil
            }
            closed(name, offset)
        }
    }

    /// Closes the innermost `name` if no element of `boundary` is open inside it, as HTML5 closes an element
    /// whose end tag may be left out; returns whether it did.
    mutating func closeImplied(_ name: String, stoppingAt boundary: Set<String>) -> Bool {
        guard let index = innermost(name) else { return false }
        if let wall = innermost(anyOf: boundary), wall > index { return false }
        pop(from: index)
        return true
    }
}
