/// `a + b`, held at the bounds of `Int` instead of overflowing.
func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? Int.max : Int.min) : sum
}

/// What `for`, `tablerow` and `render ... for` iterate over, sliced by `offset` and `limit` as Shopify slices:
/// arrays element by element, objects as `[key, value]` pairs, ranges lazily, a string as one item.
enum LoopSource {
    static func items(_ collection: Value, from: Int, to: Int?, context: Context) throws(LiquidError) -> [Value] {
        let upper = to.map { Swift.max($0, 0) }
        func bounds(_ count: Int) -> Range<Int> {
            let lo = Swift.min(Swift.max(from, 0), count)
            let hi = Swift.max(lo, Swift.min(upper ?? count, count))
            return lo..<hi
        }
        switch collection {
        case .array(let a):
            let r = bounds(a.count)
            return r.count == a.count ? a : Array(a[r])
        case .object(let o):
            return bounds(o.count).map { .array([.string(o.keys[$0]), o.values[$0]]) }
        case .range(let lo, let hi):
            let count = hi >= lo ? hi - lo + 1 : 0
            let r = bounds(count)
            if r.count > context.options.limits.maxLoopIterations {
                throw LiquidError(.resourceLimit, "more than \(context.options.limits.maxLoopIterations) loop iterations in one render")
            }
            return r.map { .int(lo + $0) }
        case .string(let s):
            return s.isEmpty ? [] : [collection]
        default:
            return []
        }
    }

    /// An `offset:` or `limit:` value as Ruby's `Integer()` reads it.
    static func integer(_ value: Value) throws(LiquidError) -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d) where d.isFinite: return d.saturatingInt
        case .string(let s):
            if let i = Int(s.trimmingRubyWhitespace()) { return i }
        default: break
        }
        throw LiquidError.argument("invalid integer")
    }
}
