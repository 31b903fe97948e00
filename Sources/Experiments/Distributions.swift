import Foundation

/// The distributions an experiment's statistics need, to double precision or near it: the standard normal (its
/// cumulative, survival and quantile functions and the mean of its truncations), Student's t (cumulative and
/// quantile) and the chi-square survival function. Written from the textbook definitions: the normal through
/// `erfc`, t through the regularized incomplete beta function, chi-square through the regularized incomplete gamma
/// function, both evaluated by their series and continued fractions (Lentz's method), quantiles by Newton steps
/// inside a bracket.
public enum Distributions {
    // MARK: Normal

    /// Φ(x), the standard normal's cumulative distribution.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// 1 - Φ(x), without the cancellation of computing it so.
    public static func normalSF(_ x: Double) -> Double {
        0.5 * erfc(x / 2.0.squareRoot())
    }

    /// φ(x), the standard normal's density.
    public static func normalPDF(_ x: Double) -> Double {
        exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    /// The x with Φ(x) = p; -∞ at 0 and ∞ at 1, NaN outside [0, 1].
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        // Work on the lower half, where Φ(x) for x <= 0 carries its full relative precision.
        if p > 0.5 { return -normalQuantile(1 - p) }
        // A start from the tail (Abramowitz and Stegun's rational approximation 26.2.23, good to 4.5e-4) or the
        // center's linear term, then Halley steps on Φ(x) - p to full precision.
        var x: Double
        if p < 0.02 {
            let t = (-2 * log(p)).squareRoot()
            x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
        } else {
            x = (p - 0.5) * (2 * Double.pi).squareRoot()
        }
        for _ in 0..<50 {
            let f = normalCDF(x) - p
            let d = normalPDF(x)
            guard d > 0 else { break }
            let newton = f / d
            // Halley: the second derivative of Φ is -x φ(x).
            let step = newton / (1 + 0.5 * x * newton)
            x -= step
            if abs(step) <= 1e-15 * max(1, abs(x)) { break }
        }
        return x
    }

    /// The mean of a normal with mean `mu` and deviation `sigma` truncated to [`lower`, `upper`] (either may be
    /// infinite).
    public static func truncatedNormalMean(mu: Double, sigma: Double, lower: Double, upper: Double) -> Double {
        let a = (lower - mu) / sigma
        let b = (upper - mu) / sigma
        if a == -.infinity, b == .infinity { return mu }
        if a == -.infinity { return mu - sigma * hazardBelow(b) }
        if b == .infinity { return mu + sigma * hazardBelow(-a) }
        // Both ends finite: (φ(a) - φ(b)) / (Φ(b) - Φ(a)), on the side of zero where the difference is precise.
        let mass = a > 0 ? normalSF(a) - normalSF(b) : normalCDF(b) - normalCDF(a)
        return mu + sigma * (normalPDF(a) - normalPDF(b)) / mass
    }

    /// φ(x) / Φ(x), stable far into the lower tail (where both underflow) by the asymptotic series of Mills' ratio.
    static func hazardBelow(_ x: Double) -> Double {
        if x > -30 { return normalPDF(x) / normalCDF(x) }
        // Φ(x) / φ(x) = (1/|x|) (1 - 1/x² + 3/x⁴ - 15/x⁶ + 105/x⁸ ...) for x far below zero.
        let z = 1 / (x * x)
        let series = 1 - z * (1 - 3 * z * (1 - 5 * z * (1 - 7 * z)))
        return -x / series
    }

    // MARK: Student's t

    /// P(T <= t) for Student's t with `dof` degrees of freedom (any positive real).
    public static func studentTCDF(_ t: Double, dof: Double) -> Double {
        if t.isNaN || !(dof > 0) { return .nan }
        if t.isInfinite { return t > 0 ? 1 : 0 }
        // The two-sided tail, I_{ν/(ν+t²)}(ν/2, 1/2), halved.
        let tail = 0.5 * twoSidedTail(t, dof: dof)
        return t > 0 ? 1 - tail : tail
    }

    /// P(|T| >= |t|): what a two-sided test reports, without computing 1 - cdf.
    public static func twoSidedTail(_ t: Double, dof: Double) -> Double {
        let t2 = t * t
        // ν/(ν+t²) loses precision when t² dwarfs ν; t²/(ν+t²) then carries it, through the complement.
        if t2 < dof {
            return regularizedBeta(x: dof / (dof + t2), a: dof / 2, b: 0.5)
        }
        return 1 - regularizedBeta(x: t2 / (dof + t2), a: 0.5, b: dof / 2)
    }

    /// Student's t density.
    static func studentTPDF(_ t: Double, dof: Double) -> Double {
        let logNorm = lgamma((dof + 1) / 2) - lgamma(dof / 2) - 0.5 * log(dof * Double.pi)
        return exp(logNorm - (dof + 1) / 2 * log1p(t * t / dof))
    }

    /// The t with P(T <= t) = p.
    public static func studentTQuantile(_ p: Double, dof: Double) -> Double {
        guard p > 0, p < 1, dof > 0 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        if p < 0.5 { return -studentTQuantile(1 - p, dof: dof) }
        if p == 0.5 { return 0 }
        // The upper tail to match, q = 1 - p, as a two-sided tail 2q: bracket it, then Newton steps kept inside.
        let target = 2 * (1 - p)
        var low = 0.0
        var high = max(1, normalQuantile(p))
        while twoSidedTail(high, dof: dof) > target {
            low = high
            high *= 2
            if high > 1e300 { return .infinity }
        }
        var t = 0.5 * (low + high)
        for _ in 0..<200 {
            let f = twoSidedTail(t, dof: dof) - target
            if f > 0 { low = t } else { high = t }
            // d/dt of the two-sided tail is -2 f_t(t).
            let slope = -2 * studentTPDF(t, dof: dof)
            var next = slope != 0 ? t - f / slope : .nan
            if !(next > low && next < high) { next = 0.5 * (low + high) }
            if abs(next - t) <= 1e-15 * max(1, abs(t)) {
                t = next
                break
            }
            t = next
        }
        return t
    }

    // MARK: Chi-square

    /// P(X >= x) for a chi-square variable with `dof` degrees of freedom.
    public static func chiSquareSF(_ x: Double, dof: Double) -> Double {
        guard dof > 0, !x.isNaN else { return .nan }
        if x <= 0 { return 1 }
        return regularizedGammaQ(a: dof / 2, x: x / 2)
    }

    // MARK: Special functions

    /// I_x(a, b), the regularized incomplete beta function, by its continued fraction on the side where it
    /// converges fast.
    static func regularizedBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b))
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaFraction(x: 1 - x, a: b, b: a) / b
    }

    /// The continued fraction of I_x(a, b) (its front factor apart), by the modified Lentz method.
    private static func betaFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...100_000 {
            let m = Double(m)
            // The even step, then the odd one.
            var aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function: by the series of P below a + 1,
    /// by the continued fraction of Q above.
    static func regularizedGammaQ(a: Double, x: Double) -> Double {
        if x <= 0 { return 1 }
        let logFront = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<100_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logFront)
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logFront) * h
    }
}
