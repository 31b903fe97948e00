/// A parsed piece of a template that renders into an output buffer.
protocol Node: AnyObject, Sendable {
    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError)
    /// Whether the node never outputs anything (assign, comment, ...), so white space around it can be dropped.
    var isBlank: Bool { get }
    /// Reports the variables, filters and tags the node uses.
    func analyze(_ analysis: inout TemplateAnalysis)
}

extension Node {
    var isBlank: Bool { false }
}

/// A sequence of nodes: a template, or the body of a block tag.
struct BlockBody: Sendable {
    var nodes: [any Node]
    var isBlank: Bool
    /// Each node's byte offset in its template's source (one per node, as the parser makes them), and that source:
    /// what a mapped render marks.
    var offsets: [Int] = []
    var file: SourceFile?

    static let empty = BlockBody(nodes: [], isBlank: true)

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        // Blocks nest within a template and partials within each other; together they must stay shallow
        // enough for a task's stack.
        let state = context.state
        state.nesting += 1
        defer { state.nesting -= 1 }
        if state.nesting > state.options.limits.maxNestingDepth {
            throw LiquidError(.resourceLimit, "Nesting too deep: blocks and partials more than \(state.options.limits.maxNestingDepth) levels deep")
        }
        if let map = state.sourceMap, let file {
            for (i, node) in nodes.enumerated() {
                map.mark(output: out.count, file: file, offset: offsets[i], isText: node is TextNode)
                try node.render(context, &out)
                if context.interrupt != nil { return }
            }
        } else {
            for node in nodes {
                try node.render(context, &out)
                if context.interrupt != nil { return }
            }
        }
        if out.count > context.options.limits.maxOutputBytes {
            throw LiquidError(.resourceLimit, "output longer than \(context.options.limits.maxOutputBytes) bytes")
        }
    }

    /// Drops white-space text from a body that outputs nothing, as Shopify does for blank blocks.
    mutating func removeBlankText() {
        guard isBlank else { return }
        let kept = zip(nodes, offsets).filter { !($0.0 is TextNode) }
        nodes = kept.map(\.0)
        offsets = kept.map(\.1)
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        for node in nodes { node.analyze(&analysis) }
    }
}

/// Literal template text.
///
/// The bytes live in memory the node owns and never changes, so appending them needs no reference counting.
final class TextNode: Node, @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<UInt8>
    let isBlank: Bool

    init(bytes: some Collection<UInt8>) {
        storage = .allocate(capacity: bytes.count)
        _ = storage.initialize(from: bytes)
        isBlank = bytes.allSatisfy { isRubyWhitespace($0) }
    }

    deinit { storage.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(storage) }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        out.append(bytes: bytes)
    }

    func analyze(_ analysis: inout TemplateAnalysis) {}
}

/// `{{ expression | filters }}` and `{% echo %}`.
final class OutputNode: Node {
    let expression: FilteredExpression
    let offset: Int

    init(expression: FilteredExpression, offset: Int) {
        self.expression = expression
        self.offset = offset
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        do throws(LiquidError) {
            try expression.render(context, &out)
        } catch {
            throw error.located(at: offset)
        }
    }

    func analyze(_ analysis: inout TemplateAnalysis) {
        analysis.add(expression)
    }
}
