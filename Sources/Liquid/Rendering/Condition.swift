/// A comparison operator of `if`, `unless` and `case`.
enum Comparison: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case notEqualAlt = "<>"
    case less = "<"
    case greater = ">"
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case contains = "contains"
}

/// The condition of `if`, `elsif` and `unless`: comparisons chained with `and`/`or`, right to left.
indirect enum Condition: Sendable {
    case truthy(Expression)
    case compare(Expression, Comparison, Expression, offset: Int)
    case and(Condition, Condition)
    case or(Condition, Condition)

    func evaluate(_ context: Context) throws(LiquidError) -> Bool {
        switch self {
        case .truthy(let e):
            return try context.evaluate(e).isTruthy
        case .compare(let l, let op, let r, let offset):
            do throws(LiquidError) {
                let left = try context.evaluate(l), right = try context.evaluate(r)
                // Comparing or searching strings and arrays reads them.
                try context.state.charge(work: left.workSize + right.workSize)
                return try Self.compare(left, op, right)
            } catch {
                throw error.located(at: offset)
            }
        case .and(let a, let b):
            guard try a.evaluate(context) else { return false }
            return try b.evaluate(context)
        case .or(let a, let b):
            if try a.evaluate(context) { return true }
            return try b.evaluate(context)
        }
    }

    static func compare(_ left: Value, _ op: Comparison, _ right: Value) throws(LiquidError) -> Bool {
        switch op {
        case .equal: return equals(left, right)
        case .notEqual, .notEqualAlt: return !equals(left, right)
        case .contains: return contains(left, right)
        case .less, .greater, .lessOrEqual, .greaterOrEqual:
            guard let order = try order(left, right) else { return false }
            switch op {
            case .less: return order < 0
            case .greater: return order > 0
            case .lessOrEqual: return order <= 0
            default: return order >= 0
            }
        }
    }

    /// `==` with the `empty` and `blank` literals meaning Ruby's `empty?` and `blank?`.
    static func equals(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.empty, .empty), (.blank, .blank): return true
        case (.empty, .blank), (.blank, .empty): return false
        case (.empty, let other), (let other, .empty): return other.isEmptyCollection ?? false
        case (.blank, let other), (let other, .blank): return other.isBlank
        default: return left.rubyEquals(right)
        }
    }

    static func contains(_ left: Value, _ right: Value) -> Bool {
        guard left.isTruthy && right.isTruthy else { return false }
        switch left {
        case .string(let s):
            if case .null = right { return false }
            let needle = right.description
            return ByteSearch.contains(s, needle)
        case .array(let items):
            return items.contains { $0.rubyEquals(right) }
        case .object(let o):
            guard case .string(let key) = right else { return false }
            return o[key] != nil
        case .range(let lo, let hi):
            guard case .int(let i) = right else { return false }
            return lo <= i && i <= hi
        default:
            return false
        }
    }

    /// Ordering for `<`-like operators: numbers and strings compare; a string against a number
    /// raises as in Ruby; anything else is simply false.
    static func order(_ left: Value, _ right: Value) throws(LiquidError) -> Int? {
        switch (left, right) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double), (.string, .string):
            return left.rubyCompare(right)
        case (.int, _), (.double, _), (.string, _):
            if case .object = right { return nil }
            if case .empty = right { return nil }
            if case .blank = right { return nil }
            if case .array = right { return nil }
            let rightName: String
            if case .string = left { rightName = right.rubyComparisonOperandName }
            else if case .string = right { rightName = "String" }
            else { rightName = right.rubyComparisonOperandName }
            throw LiquidError.argument("comparison of \(left.rubyClassName) with \(rightName) failed")
        default:
            return nil
        }
    }
}
