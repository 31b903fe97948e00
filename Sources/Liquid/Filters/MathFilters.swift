/// Arithmetic filters: integers stay integers (floor division, Ruby's modulo), a float anywhere makes a float.
enum MathFilters {
    static func register(_ f: inout FilterTable) {
        f["plus"] = binary("plus") { a, b throws(LiquidError) in add(a, b) }
        f["minus"] = binary("minus") { a, b throws(LiquidError) in
            if case .int(let x) = a, case .int(let y) = b {
                let (r, o) = x.subtractingReportingOverflow(y)
                return o ? .double(Double(x) - Double(y)) : .int(r)
            }
            return .decimalOperation(a, b, -, -)
        }
        f["times"] = binary("times") { a, b throws(LiquidError) in
            if case .int(let x) = a, case .int(let y) = b {
                let (r, o) = x.multipliedReportingOverflow(by: y)
                return o ? .double(Double(x) * Double(y)) : .int(r)
            }
            return .decimalOperation(a, b, *, *)
        }
        f["divided_by"] = binary("divided_by") { a, b throws(LiquidError) in
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw LiquidError(.zeroDivision, "divided by 0") }
                if x == Int.min && y == -1 { return .double(-Double(Int.min)) }
                let q = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
            }
            guard b.double != 0 else { throw LiquidError(.zeroDivision, "divided by 0") }
            return .decimalOperation(a, b, /, /)
        }
        f["modulo"] = binary("modulo") { a, b throws(LiquidError) in
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw LiquidError(.zeroDivision, "divided by 0") }
                if y == -1 { return .int(0) }
                let r = x % y
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            }
            guard b.double != 0 else { throw LiquidError(.zeroDivision, "divided by 0") }
            return .decimalOperation(a, b, %) { x, y in
                var r = x.truncatingRemainder(dividingBy: y)
                if r != 0 && (r < 0) != (y < 0) { r += y }
                return r
            }
        }
        f["at_least"] = binary("at_least") { a, b throws(LiquidError) in
            a.double < b.double ? b : a
        }
        f["at_most"] = binary("at_most") { a, b throws(LiquidError) in
            a.double > b.double ? b : a
        }
        f["abs"] = unary("abs") { n throws(LiquidError) in
            switch n {
            case .int(let i): return i == Int.min ? .double(-Double(i)) : .int(abs(i))
            case .double(let d): return .double(abs(d))
            }
        }
        f["ceil"] = unary("ceil") { n throws(LiquidError) in try toInt(n) { $0.rounded(.up) } }
        f["floor"] = unary("floor") { n throws(LiquidError) in try toInt(n) { $0.rounded(.down) } }
        f["round"] = { input, args, _ in
            try args.expect("round", min: 0, max: 1)
            let n = Number(input)
            let digits = args[0].map { Number($0) } ?? .int(0)
            let places: Int
            switch digits {
            case .int(let i): places = min(max(i, -40), 40)
            case .double(let d): places = d.isFinite ? Int(min(max(d, -40), 40)) : 0
            }
            switch n {
            case .int(let i):
                guard places < 0 else { return .int(i) }
                let scale = pow10(-places)
                guard scale > 0 else { return .int(0) }
                let r = (Double(i) / Double(scale)).rounded(.toNearestOrAwayFromZero)
                // Near Int's bounds the rounded value may not fit (Ruby's would be a bignum): a float then.
                let (product, overflow) = r.saturatingInt.multipliedReportingOverflow(by: scale)
                return overflow || r.magnitude >= 9.2e18 ? .double(r * Double(scale)) : .int(product)
            case .double(let d):
                guard d.isFinite else {
                    throw LiquidError.argument(d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity"))
                }
                if places > 0 && places <= 9 && d.magnitude < 1e9 {
                    // Away from a half, the decimal rounding is the binary one; m / 10^p is then the
                    // correctly rounded double of the decimal result.
                    let scale = Double(pow10(places))
                    let x = d * scale
                    let fraction = x.magnitude - x.magnitude.rounded(.down)
                    if abs(fraction - 0.5) > 1e-6 { return .double(x.rounded(.toNearestOrAwayFromZero) / scale) }
                }
                let r = DecimalNumber(d).map { $0.rounded(places: places).double }
                    ?? (d * Double(pow10(places))).rounded(.toNearestOrAwayFromZero) / Double(pow10(places))
                if places <= 0 { return r.magnitude < 9.2e18 ? .int(Int(r)) : .double(r) }
                return .double(r)
            }
        }
    }

    static func pow10(_ n: Int) -> Int {
        var r = 1
        for _ in 0..<min(n, 18) { r *= 10 }
        return n > 18 ? 0 : r
    }

    static func add(_ a: Number, _ b: Number) -> Number {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.addingReportingOverflow(y)
            return o ? .double(Double(x) + Double(y)) : .int(r)
        }
        return .decimalOperation(a, b, +, +)
    }

    static func toInt(_ n: Number, _ round: (Double) -> Double) throws(LiquidError) -> Value {
        switch n {
        case .int(let i): return .int(i)
        case .double(let d):
            guard d.isFinite else { throw LiquidError.argument(d.isNaN ? "NaN" : "Infinity") }
            let r = round(d)
            return r.magnitude < 9.2e18 ? .int(Int(r)) : .double(r)
        }
    }

    static func binary(_ name: String, _ op: @escaping @Sendable (Number, Number) throws(LiquidError) -> Number) -> Filter {
        return { input, args, _ in
            try args.expect(name, min: 1, max: 1)
            return try op(Number(input), Number(args[0]!)).value
        }
    }

    static func unary(_ name: String, _ op: @escaping @Sendable (Number) throws(LiquidError) -> Value) -> Filter {
        return { input, args, _ in
            try args.expect(name, min: 0, max: 0)
            return try op(Number(input))
        }
    }
}

