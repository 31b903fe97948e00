import Experiments
import Foundation
import Testing

/// Cases written by `scripts/gbstats-cases` with GrowthBook's engine (gbstats 0.8.0): the fixture here, and in CI
/// a fresh set from another seed (`STAGECRAFT_GBSTATS_CASES`, made by `.ci/run` with gbstats installed).
struct CaseFile: Decodable {
    struct Arm: Decodable {
        let kind: String
        let users: Int
        let conversions: Double?
        let sum: Double?
        let sumOfSquares: Double?

        var statistic: ArmStatistic {
            kind == "proportion" ? .proportion(users: users, conversions: conversions ?? 0)
                : .mean(users: users, sum: sum ?? 0, sumOfSquares: sumOfSquares ?? 0)
        }
    }

    /// A number as the generator writes it: JSON's, or "nan", "inf", "-inf".
    struct Number: Decodable {
        let value: Double
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) {
                value = v
                return
            }
            switch try c.decode(String.self) {
            case "nan": value = .nan
            case "inf": value = .infinity
            case "-inf": value = -.infinity
            case let other: throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a number: \(other)")
            }
        }
    }

    struct Comparison: Decodable {
        struct Bayesian: Decodable {
            let chanceToWin: Number
            let expected: Number
            let ci: [Number]
            let risk: [Number]
            let error: String?
        }

        struct Frequentist: Decodable {
            let pValue: Number
            let expected: Number
            let ci: [Number]
            let error: String?
        }

        struct Answers: Decodable {
            let bayesian: Bayesian
            let frequentist: Frequentist
        }

        let control: Arm
        let treatment: Arm
        let inverse: Bool
        let gbstats: Answers
    }

    struct SRM: Decodable {
        let users: [Int]
        let weights: [Double]
        let gbstats: Number
    }

    let seed: Int
    let comparisons: [Comparison]
    let srm: [SRM]

    static func load(_ url: URL) throws -> CaseFile {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CaseFile.self, from: Data(contentsOf: url))
    }

    /// The fixture, and the fresh cases CI made if it made some.
    static func all() throws -> [CaseFile] {
        var files = [try load(try #require(Bundle.module.url(forResource: "Fixtures/gbstats-cases", withExtension: "json")))]
        if let path = ProcessInfo.processInfo.environment["STAGECRAFT_GBSTATS_CASES"], !path.isEmpty {
            files.append(try load(URL(fileURLWithPath: path)))
        }
        return files
    }
}

/// Equal to 1e-6: absolutely for values up to 1, relatively above (intervals of large relative changes).
func close(_ ours: Double, _ theirs: Double) -> Bool {
    if theirs.isNaN { return ours.isNaN }
    if theirs.isInfinite { return ours == theirs }
    return abs(ours - theirs) <= 1e-6 * max(1, abs(theirs))
}

@Suite("experiment statistics equal GrowthBook's engine (gbstats 0.8.0) to 1e-6")
struct GrowthBookStatisticsTests {
    @Test("Bayesian (EffectBayesianABTest) and frequentist (TwoSidedTTest) comparisons: every number and message")
    func comparisons() throws {
        var checked = 0
        for file in try CaseFile.all() {
            for (i, c) in file.comparisons.enumerated() {
                let r = Comparison(control: c.control.statistic, treatment: c.treatment.statistic, inverse: c.inverse)
                let where_ = "seed \(file.seed) case \(i): \(c.control.statistic) vs \(c.treatment.statistic)"
                let b = c.gbstats.bayesian
                #expect(r.bayesian.problem?.rawValue == b.error, "\(where_)")
                #expect(close(r.bayesian.chanceToWin, b.chanceToWin.value), "\(where_): chance to win \(r.bayesian.chanceToWin) vs \(b.chanceToWin.value)")
                #expect(close(r.bayesian.problem == nil ? r.expected : 0, b.expected.value), "\(where_): expected")
                #expect(close(r.bayesian.interval.lowerBound, b.ci[0].value) && close(r.bayesian.interval.upperBound, b.ci[1].value),
                        "\(where_): credible interval \(r.bayesian.interval) vs \(b.ci.map(\.value))")
                #expect(close(r.bayesian.risk.control, b.risk[0].value) && close(r.bayesian.risk.treatment, b.risk[1].value),
                        "\(where_): risk \(r.bayesian.risk) vs \(b.risk.map(\.value))")
                let f = c.gbstats.frequentist
                #expect(r.frequentist.problem?.rawValue == f.error, "\(where_)")
                #expect(close(r.frequentist.pValue, f.pValue.value), "\(where_): p-value \(r.frequentist.pValue) vs \(f.pValue.value)")
                #expect(close(r.frequentist.problem == nil ? r.expected : 0, f.expected.value), "\(where_): expected")
                #expect(close(r.frequentist.interval.lowerBound, f.ci[0].value) && close(r.frequentist.interval.upperBound, f.ci[1].value),
                        "\(where_): confidence interval \(r.frequentist.interval) vs \(f.ci.map(\.value))")
                checked += 1
            }
        }
        #expect(checked >= 400)
    }

    @Test("sample ratio mismatch (check_srm): the chi-square p-value of the split against its weights")
    func sampleRatioMismatch() throws {
        var checked = 0
        for file in try CaseFile.all() {
            for (i, c) in file.srm.enumerated() {
                let ours = Comparison.sampleRatioMismatch(users: c.users, weights: c.weights)
                #expect(close(ours, c.gbstats.value), "seed \(file.seed) case \(i): \(c.users) \(c.weights): \(ours) vs \(c.gbstats.value)")
                checked += 1
            }
        }
        #expect(checked >= 60)
    }

    @Test("the distributions at known points: normal, Student's t and chi-square quantiles and tails")
    func knownPoints() {
        // Textbook table values.
        #expect(abs(Distributions.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(Distributions.normalQuantile(1e-10) + 6.361340902404056) < 1e-9)
        #expect(abs(Distributions.studentTQuantile(0.975, dof: 1) - 12.706204736174698) < 1e-9)
        #expect(abs(Distributions.studentTQuantile(0.975, dof: 10) - 2.228138851986274) < 1e-12)
        #expect(abs(Distributions.studentTCDF(2.228138851986274, dof: 10) - 0.975) < 1e-12)
        #expect(abs(Distributions.chiSquareSF(3.841458820694124, dof: 1) - 0.05) < 1e-12)
        #expect(abs(Distributions.chiSquareSF(9.487729036781154, dof: 4) - 0.05) < 1e-12)
        // Far tails stay finite and ordered.
        // With many degrees of freedom t is the normal, far into the tail: 2 (1 - Φ(10)) = 1.5239706e-23.
        #expect(abs(Distributions.twoSidedTail(10, dof: 1e8) / (2 * Distributions.normalSF(10)) - 1) < 1e-4)
        #expect(Distributions.truncatedNormalMean(mu: 50, sigma: 1, lower: -.infinity, upper: 0) < 0)
        #expect(Distributions.truncatedNormalMean(mu: 50, sigma: 1, lower: -.infinity, upper: 0) > -0.03)
    }
}
