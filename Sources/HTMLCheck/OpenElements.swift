/// The elements open at a point of the source, innermost last, with each name's positions kept beside the
/// stack so that "is a `<p>` open, and above any `<table>`?" costs a few lookups however deep the page is.
///
/// Every element is pushed once and popped once, so following a whole page is linear in its tags.
struct OpenElements {
    private(set) var elements: [(name: String, offset: Int)] = []
    /// For each open name, its indices in `elements`, innermost last.
    private var positions: [String: [Int]] = [:]

    var depth: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }

    /// How many `<svg>` and `<math>` are open: inside them element names are not HTML's.
    var foreignDepth: Int { (positions["svg"]?.count ?? 0) + (positions["math"]?.count ?? 0) }

    mutating func push(_ name: String, at offset: Int) {
        positions[name, default: []].append(elements.count)
        elements.append((name, offset))
    }

    /// The index of the innermost open `name`.
    func innermost(_ name: String) -> Int? { positions[name]?.last }

    /// The index of the innermost open element among `names`.
    func innermost(anyOf names: Set<String>) -> Int? {
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
            positions[name]?.removeLast()
            if positions[name]?.isEmpty == true { positions[name] = nil }
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
