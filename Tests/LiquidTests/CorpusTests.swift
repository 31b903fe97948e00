import Foundation
import Testing
@testable import Liquid

/// The benchmark corpus renders byte for byte as Shopify's Liquid does (Fixtures/corpus/NOTICE.md).
@Suite struct CorpusTests {
    @Test func rendersAsShopifyDoes() throws {
        let root = Bundle.module.url(forResource: "corpus", withExtension: nil, subdirectory: "Fixtures")!
        let manifest = try JSON.parse(bytes: Array(try Data(contentsOf: root.appendingPathComponent("manifest.json"))))
        let contexts = try JSON.parse(bytes: Array(try Data(contentsOf: root.appendingPathComponent("data/contexts.json"))))
        let expectedText = try String(contentsOf: root.appendingPathComponent("expected/ruby-liquid-5.4.0.txt"), encoding: .utf8)
        let expected = expectedText.components(separatedBy: "\n\u{0}\n")
        let templatesRoot = root.appendingPathComponent("templates")
        let environment = Environment(loader: FileSystemLoader(root: templatesRoot.path), errorMode: .strict)
        var outputs: [String] = []
        for case .string(let name) in manifest.objectValue!["templates"]!.arrayValue! {
            let template = try environment.parse(try String(contentsOf: templatesRoot.appendingPathComponent(name), encoding: .utf8), name: name)
            for context in contexts.arrayValue! {
                outputs.append(try template.render(context, options: RenderOptions(strictFilters: true)))
            }
        }
        #expect(outputs.count == 800)
        #expect(outputs.count == expected.count)
        for (i, (got, want)) in zip(outputs, expected).enumerated() where got != want {
            Issue.record("render \(i) differs from Shopify's")
            break
        }
    }
}
