import Foundation
import Testing
@testable import Liquid

/// One case of the golden-liquid conformance suite (Tests/LiquidTests/Fixtures/golden_liquid.json, MIT, see
/// golden-liquid.LICENSE).
struct GoldenCase: Sendable, CustomTestStringConvertible {
    let name: String
    let template: String
    let data: Value
    let partials: [String: String]
    let expected: [String]
    let invalid: Bool
    let strict: Bool

    var testDescription: String { name }

    static let all: [GoldenCase] = {
        let url = Bundle.module.url(forResource: "golden_liquid", withExtension: "json", subdirectory: "Fixtures")!
        let suite = try! JSON.parse(bytes: Array(try! Data(contentsOf: url)))
        return suite.objectValue!["tests"]!.arrayValue!.map { raw in
            let o = raw.objectValue!
            let tags = o["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var partials: [String: String] = [:]
            for (k, v) in o["templates"]?.objectValue?.pairs.map({ ($0, $1) }) ?? [] { partials[k] = v.stringValue }
            var expected: [String] = []
            if let r = o["result"]?.stringValue { expected = [r] }
            if let rs = o["results"]?.arrayValue { expected = rs.compactMap(\.stringValue) }
            return GoldenCase(name: o["name"]!.stringValue!, template: o["template"]!.stringValue!,
                              data: o["data"] ?? .object(LiquidObject()), partials: partials, expected: expected,
                              invalid: o["invalid"]?.isTruthy ?? false,
                              strict: tags.contains("strict") || tags.contains("strict2"))
        }
    }()

    /// Cases not run, each with the reason.
    static let skipped: [String: String] = [:]

    enum Outcome: Equatable {
        case pass
        case fail(String)
    }

    /// Runs the case as the reference harness does: strict mode for cases tagged strict, lax otherwise;
    /// an invalid case passes when parsing or rendering raises.
    func run() -> Outcome {
        let environment = Environment(loader: DictionaryLoader(partials), errorMode: strict ? .strict : .lax)
        do {
            let template = try environment.parse(template)
            let output = try template.render(data)
            if invalid { return .fail("expected an error, rendered \(output.debugDescription)") }
            return expected.contains(output) ? .pass : .fail("expected \(expected[0].debugDescription), rendered \(output.debugDescription)")
        } catch {
            return invalid ? .pass : .fail("raised \(error)")
        }
    }
}

@Suite struct GoldenLiquidTests {
    @Test(arguments: GoldenCase.all.filter { GoldenCase.skipped[$0.name] == nil })
    func conformance(_ golden: GoldenCase) {
        #expect(golden.run() == .pass)
    }

    @Test func wholeSuitePasses() {
        let cases = GoldenCase.all
        var failures: [String] = []
        var skipped = 0
        for golden in cases {
            if GoldenCase.skipped[golden.name] != nil {
                skipped += 1
                continue
            }
            if case .fail(let why) = golden.run() { failures.append("\(golden.name): \(why)") }
        }
        let passed = cases.count - skipped - failures.count
        print("golden-liquid conformance: \(passed) of \(cases.count) cases pass, \(skipped) skipped, \(failures.count) fail")
        for (name, reason) in GoldenCase.skipped.sorted(by: { $0.key < $1.key }) {
            print("  skipped \(name): \(reason)")
        }
        #expect(cases.count == 1054)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
