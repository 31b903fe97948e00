import Foundation
import Liquid
import Testing
@testable import Personalization

/// GrowthBook's shared SDK test cases (Fixtures/growthbook-cases.json, MIT, see growthbook.LICENSE).
enum GrowthBookCases {
    static let all: LiquidObject = {
        let url = Bundle.module.url(forResource: "growthbook-cases", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSON.parse(bytes: Array(try! Data(contentsOf: url))).objectValue!
    }()

    static func section(_ name: String) -> [[Value]] {
        all[name]!.arrayValue!.map { $0.arrayValue! }
    }

    static func number(_ v: Value) -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return .nan
        }
    }

    /// Upstream compares bucket figures truncated to 8 decimals.
    static func truncated(_ d: Double) -> Double { (d * 1e8).rounded(.towardZero) / 1e8 }
}

struct ConditionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let condition: Value
    let attributes: Value
    let expected: Bool
    let savedGroups: [String: [Value]]
    var testDescription: String { name }

    static let all: [ConditionCase] = GrowthBookCases.section("evalCondition").map { c in
        var groups: [String: [Value]] = [:]
        if c.count > 4, case .object(let g) = c[4] {
            for (k, v) in g.pairs { groups[k] = v.arrayValue ?? [] }
        }
        return ConditionCase(name: c[0].stringValue!, condition: c[1], attributes: c[2], expected: c[3].isTruthy, savedGroups: groups)
    }
}

@Suite struct GrowthBookCaseTests {
    @Test(arguments: ConditionCase.all)
    func evalCondition(_ c: ConditionCase) {
        #expect(AudienceCondition(c.condition).matches(c.attributes, savedGroups: c.savedGroups) == c.expected)
    }

    @Test func everyConditionCaseRuns() {
        #expect(ConditionCase.all.count == 248)
        let passed = ConditionCase.all.filter { AudienceCondition($0.condition).matches($0.attributes, savedGroups: $0.savedGroups) == $0.expected }
        print("growthbook evalCondition: \(passed.count) of \(ConditionCase.all.count) cases pass")
        #expect(passed.count == 248)
    }

    @Test func hash() {
        let cases = GrowthBookCases.section("hash")
        #expect(cases.count == 15)
        for c in cases {
            let got = Bucketing.hash(seed: c[0].stringValue!, value: c[1].stringValue!, version: Int(GrowthBookCases.number(c[2])))
            if c[3].isNil {
                #expect(got == nil)
            } else {
                #expect(got == GrowthBookCases.number(c[3]), "\(c)")
            }
        }
    }

    @Test func getBucketRange() {
        let cases = GrowthBookCases.section("getBucketRange")
        #expect(cases.count == 13)
        for c in cases {
            let args = c[1].arrayValue!
            let weights = args[2].arrayValue?.map(GrowthBookCases.number)
            let ranges = Bucketing.bucketRanges(variations: Int(GrowthBookCases.number(args[0])),
                                                coverage: GrowthBookCases.number(args[1]), weights: weights)
            let expected = c[2].arrayValue!.map { $0.arrayValue!.map(GrowthBookCases.number) }
            #expect(ranges.count == expected.count, "\(c[0])")
            for (r, e) in zip(ranges, expected) {
                #expect(GrowthBookCases.truncated(r.0) == GrowthBookCases.truncated(e[0]), "\(c[0])")
                #expect(GrowthBookCases.truncated(r.1) == GrowthBookCases.truncated(e[1]), "\(c[0])")
            }
        }
    }

    @Test func chooseVariation() {
        let cases = GrowthBookCases.section("chooseVariation")
        #expect(cases.count == 13)
        for c in cases {
            let ranges = c[2].arrayValue!.map { r -> (Double, Double) in
                let pair = r.arrayValue!.map(GrowthBookCases.number)
                return (pair[0], pair[1])
            }
            let got = Bucketing.chooseVariation(GrowthBookCases.number(c[1]), ranges: ranges) ?? -1
            #expect(got == Int(GrowthBookCases.number(c[3])), "\(c[0])")
        }
    }

    @Test func inNamespace() {
        let cases = GrowthBookCases.section("inNamespace")
        #expect(cases.count == 16)
        for c in cases {
            let ns = c[2].arrayValue!
            let got = Bucketing.inNamespace(c[1].stringValue!, namespace: ns[0].stringValue!,
                                            start: GrowthBookCases.number(ns[1]), end: GrowthBookCases.number(ns[2]))
            #expect(got == c[3].isTruthy, "\(c[0])")
        }
    }

    @Test func getEqualWeights() {
        let cases = GrowthBookCases.section("getEqualWeights")
        #expect(cases.count == 6)
        for c in cases {
            let got = Bucketing.equalWeights(Int(GrowthBookCases.number(c[0]))).map(GrowthBookCases.truncated)
            let expected = c[1].arrayValue!.map(GrowthBookCases.number).map(GrowthBookCases.truncated)
            #expect(got == expected)
        }
    }
}
