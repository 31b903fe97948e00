import Foundation

/// What one arm of an experiment (a variant, the holdout) adds up to: its users and what they did, as the
/// sufficient statistics GrowthBook's engine takes.
public enum ArmStatistic: Sendable, Hashable {
    /// A conversion metric: `users` exposed, `conversions` of them converted.
    case proportion(users: Int, conversions: Double)
    /// A value metric: per user a value (revenue, say), summed and summed in squares over the `users`.
    case mean(users: Int, sum: Double, sumOfSquares: Double)

    public var users: Int {
        switch self {
        case .proportion(let n, _), .mean(let n, _, _): return n
        }
    }

    /// The conversion rate or the mean value per user (0 with no users).
    public var mean: Double {
        guard users > 0 else { return 0 }
        switch self {
        case .proportion(let n, let conversions): return conversions / Double(n)
        case .mean(let n, let sum, _): return sum / Double(n)
        }
    }

    /// Per-user variance: p(1 - p) for a proportion, the sample variance (n - 1 below) for a mean (0 for one user).
    public var variance: Double {
        switch self {
        case .proportion:
            return mean * (1 - mean)
        case .mean(let n, let sum, let sumOfSquares):
            guard n > 1 else { return 0 }
            let n = Double(n)
            return (sumOfSquares - sum * sum / n) / (n - 1)
        }
    }
}

/// Why a comparison could not be made; the result then says nothing (chance to win 0.5, p-value 1, intervals 0).
/// The raw values are GrowthBook's messages.
public enum ComparisonProblem: String, Sendable, Codable {
    /// The control's rate or mean is zero: a relative change from it has no meaning.
    case baselineZero = "ZERO_NEGATIVE_BASELINE_VARIATION"
    /// An arm has no users yet.
    case noUnits = "NO_UNITS_IN_VARIATION"
    /// An arm's values do not vary (everyone converted, or no one; one user): no spread to test against.
    case zeroVariance = "ZERO_NEGATIVE_VARIANCE"

    /// A sentence for the people reading results.
    public var explanation: String {
        switch self {
        case .baselineZero: return "The control has no conversions (or a zero mean) yet, so a relative change cannot be measured."
        case .noUnits: return "An arm has no exposed users yet."
        case .zeroVariance: return "An arm's results do not vary yet (everyone or no one converted), so nothing can be told apart."
        }
    }
}

/// A treatment against the control, as GrowthBook's engine (`gbstats` 0.8.0) reports it with its defaults: the
/// relative change (treatment over control, minus one), Bayesian with the improper flat prior
/// (`EffectBayesianABTest`: chance to win, 95% credible interval, risk), and frequentist (`TwoSidedTTest`, Welch's
/// t-test with the Welch-Satterthwaite degrees of freedom: two-sided p-value, 95% confidence interval). The
/// variance of the relative change is the delta method's.
public struct Comparison: Sendable, Equatable {
    /// The estimated relative change (0.05 is +5%).
    public let expected: Double
    /// Its standard error.
    public let standardError: Double
    public let bayesian: Bayesian
    public let frequentist: Frequentist

    public struct Bayesian: Sendable, Equatable {
        /// The probability that the treatment beats the control (for a metric where lower is better, below it).
        public let chanceToWin: Double
        /// The credible interval of the relative change.
        public let interval: ClosedRange<Double>
        /// Expected loss when choosing the control, then the treatment, in relative terms.
        public let risk: (control: Double, treatment: Double)
        public let problem: ComparisonProblem?

        public static func == (a: Bayesian, b: Bayesian) -> Bool {
            a.chanceToWin == b.chanceToWin && a.interval == b.interval && a.risk == b.risk && a.problem == b.problem
        }
    }

    public struct Frequentist: Sendable, Equatable {
        /// The two-sided p-value against no change.
        public let pValue: Double
        public let interval: ClosedRange<Double>
        public let degreesOfFreedom: Double
        public let problem: ComparisonProblem?
    }

    /// `treatment` against `control`; `alpha` 0.05 gives 95% intervals; `inverse` for metrics where lower is better.
    public init(control a: ArmStatistic, treatment b: ArmStatistic, alpha: Double = 0.05, inverse: Bool = false) {
        // Shared by both engines: the relative difference and its delta-method variance.
        let ma = a.mean, mb = b.mean
        let va = a.variance, vb = b.variance
        let na = Double(a.users), nb = Double(b.users)
        let difference = ma != 0 ? (mb - ma) / ma : 0
        let variance = ma != 0 ? vb / (ma * ma * nb) + va * mb * mb / (ma * ma * ma * ma * na) : 0
        let sd = variance.squareRoot()
        let zeroVariance = va <= 0 || vb <= 0

        // Bayesian: the checks in GrowthBook's order, then a normal posterior with the data's mean and variance.
        let bayesianProblem: ComparisonProblem? = ma == 0 ? .baselineZero
            : (a.users == 0 || b.users == 0) ? .noUnits : zeroVariance ? .zeroVariance : nil
        if let bayesianProblem {
            bayesian = Bayesian(chanceToWin: 0.5, interval: 0...0, risk: (0, 0), problem: bayesianProblem)
        } else {
            let z = difference / sd
            let win = Distributions.normalCDF(z)
            let q = Distributions.normalQuantile(1 - alpha / 2)
            // Risk: the mean loss on the side where the choice turns out wrong, weighted by how likely that is.
            let controlBetter = Distributions.normalCDF(-z)
            let meanBelow = Distributions.truncatedNormalMean(mu: difference, sigma: sd, lower: -.infinity, upper: 0)
            let meanAbove = Distributions.truncatedNormalMean(mu: difference, sigma: sd, lower: 0, upper: .infinity)
            let riskControl = controlBetter < 1 ? (1 - controlBetter) * meanAbove : 0
            let riskTreatment = controlBetter > 0 ? -(controlBetter * meanBelow) : 0
            bayesian = Bayesian(chanceToWin: inverse ? 1 - win : win,
                                interval: (difference - q * sd)...(difference + q * sd),
                                risk: inverse ? (riskTreatment, riskControl) : (riskControl, riskTreatment),
                                problem: nil)
        }

        // Frequentist: Welch's t-test on the same difference.
        let frequentistProblem: ComparisonProblem? = ma == 0 ? .baselineZero : zeroVariance ? .zeroVariance : nil
        let dof = (vb / nb + va / na) * (vb / nb + va / na) / (vb * vb / (nb * nb * (nb - 1)) + va * va / (na * na * (na - 1)))
        if let frequentistProblem {
            frequentist = Frequentist(pValue: 1, interval: 0...0, degreesOfFreedom: dof.isFinite ? dof : 0, problem: frequentistProblem)
        } else {
            let t = difference / sd
            let width = Distributions.studentTQuantile(1 - alpha / 2, dof: dof) * sd
            frequentist = Frequentist(pValue: Distributions.twoSidedTail(t, dof: dof),
                                      interval: (difference - width)...(difference + width),
                                      degreesOfFreedom: dof, problem: nil)
        }
        if bayesianProblem == nil || frequentistProblem == nil {
            expected = difference
            standardError = sd
        } else {
            expected = 0
            standardError = 0
        }
    }

    /// GrowthBook's sample ratio mismatch check: the chi-square test's p-value that the `users` per arm came from
    /// the configured `weights` (arms with no weight are left out of the sum but not out of the degrees of
    /// freedom, as GrowthBook does). 1 with no users. A value under 0.001 means the split is broken.
    public static func sampleRatioMismatch(users: [Int], weights: [Double]) -> Double {
        let total = Double(users.reduce(0, +))
        guard total > 0, users.count > 1 else { return 1 }
        let totalWeight = weights.reduce(0, +)
        var x = 0.0
        for (i, observed) in users.enumerated() where i < weights.count && weights[i] > 0 {
            let expected = weights[i] / totalWeight * total
            x += (Double(observed) - expected) * (Double(observed) - expected) / expected
        }
        return Distributions.chiSquareSF(x, dof: Double(users.count - 1))
    }
}
