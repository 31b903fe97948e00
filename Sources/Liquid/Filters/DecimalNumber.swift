/// An exact decimal, `mantissa × 10^exponent`: Shopify does float arithmetic in filters with BigDecimal made
/// from each float's shortest printed form, so `10.0 | minus: 2.1` is `7.9`, not `7.8999999999999995`.
struct DecimalNumber {
    var mantissa: Int128
    var exponent: Int

    init(mantissa: Int128, exponent: Int) {
        self.mantissa = mantissa
        self.exponent = exponent
    }

    init(_ i: Int) {
        mantissa = Int128(i)
        exponent = 0
    }

    /// The decimal a float prints as; `nil` for NaN and infinities.
    init?(_ d: Double) {
        guard d.isFinite else { return nil }
        let text = d.magnitude.description
        var digits: Int128 = 0
        var exp = 0
        var seenPoint = false
        var i = text.utf8.startIndex
        while i != text.utf8.endIndex {
            let c = text.utf8[i]
            if c == UInt8(ascii: ".") {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                exp += Int(Substring(text.utf8[text.utf8.index(after: i)...])) ?? 0
                break
            } else {
                digits = digits * 10 + Int128(c - 48)
                if seenPoint { exp -= 1 }
            }
            i = text.utf8.index(after: i)
        }
        mantissa = d < 0 ? -digits : digits
        exponent = exp
    }

    var double: Double {
        Double("\(mantissa)e\(exponent)") ?? .nan
    }

    private static func pow10(_ n: Int) -> Int128? {
        guard n >= 0 && n <= 38 else { return nil }
        var r: Int128 = 1
        for _ in 0..<n { r *= 10 }
        return r
    }

    /// Both mantissas at the smaller exponent, or `nil` when that overflows.
    private static func aligned(_ a: DecimalNumber, _ b: DecimalNumber) -> (Int128, Int128, Int)? {
        let e = min(a.exponent, b.exponent)
        guard let sa = pow10(a.exponent - e), let sb = pow10(b.exponent - e) else { return nil }
        let (x, o1) = a.mantissa.multipliedReportingOverflow(by: sa)
        let (y, o2) = b.mantissa.multipliedReportingOverflow(by: sb)
        return o1 || o2 ? nil : (x, y, e)
    }

    static func + (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber? {
        guard let (x, y, e) = aligned(a, b) else { return nil }
        let (s, o) = x.addingReportingOverflow(y)
        return o ? nil : DecimalNumber(mantissa: s, exponent: e)
    }

    static func - (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber? {
        guard let (x, y, e) = aligned(a, b) else { return nil }
        let (s, o) = x.subtractingReportingOverflow(y)
        return o ? nil : DecimalNumber(mantissa: s, exponent: e)
    }

    static func * (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber? {
        let (p, o) = a.mantissa.multipliedReportingOverflow(by: b.mantissa)
        return o ? nil : DecimalNumber(mantissa: p, exponent: a.exponent + b.exponent)
    }

    /// The quotient to at least 20 significant digits, truncated as BigDecimal does before `to_f`.
    static func / (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber? {
        guard b.mantissa != 0 else { return nil }
        var numerator = a.mantissa
        var shift = 0
        while numerator.magnitude < Int128.max.magnitude / 10 && shift < 40 {
            numerator *= 10
            shift += 1
        }
        return DecimalNumber(mantissa: numerator / b.mantissa, exponent: a.exponent - shift - b.exponent)
    }

    /// Ruby's modulo: the result has the sign of the divisor.
    static func % (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber? {
        guard b.mantissa != 0, let (x, y, e) = aligned(a, b) else { return nil }
        var r = x % y
        if r != 0 && (r < 0) != (y < 0) { r += y }
        return DecimalNumber(mantissa: r, exponent: e)
    }

    /// Rounded to `places` decimals, halves away from zero (BigDecimal's ROUND_HALF_UP).
    func rounded(places: Int) -> DecimalNumber {
        let drop = -places - exponent
        guard drop > 0 else { return self }
        guard let scale = Self.pow10(drop) else { return DecimalNumber(mantissa: 0, exponent: -places) }
        var q = mantissa / scale
        let r = mantissa % scale
        if r.magnitude * 2 >= scale.magnitude { q += mantissa < 0 ? -1 : 1 }
        return DecimalNumber(mantissa: q, exponent: -places)
    }
}

extension Number {
    var decimal: DecimalNumber? {
        switch self {
        case .int(let i): return DecimalNumber(i)
        case .double(let d): return DecimalNumber(d)
        }
    }

    var isExactInBinary: Bool {
        switch self {
        case .int(let i): return i.magnitude < 1 << 53
        case .double(let d): return d.magnitude < 9.0e15 && d == d.rounded(.towardZero)
        }
    }

    /// `a op b` done exactly in decimal when either side is a float, as Shopify does; plain floating point
    /// where the decimal would overflow.
    static func decimalOperation(_ a: Number, _ b: Number, _ exact: (DecimalNumber, DecimalNumber) -> DecimalNumber?,
                                 _ approximate: (Double, Double) -> Double) -> Number
    {
        // Integral values are exact in binary too, so one IEEE operation rounds the exact result just as
        // the decimal's conversion back would.
        if a.isExactInBinary && b.isExactInBinary { return .double(approximate(a.double, b.double)) }
        if let x = a.decimal, let y = b.decimal, let r = exact(x, y) { return .double(r.double) }
        return .double(approximate(a.double, b.double))
    }
}
