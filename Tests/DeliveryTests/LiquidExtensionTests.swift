import Content
import Foundation
import Liquid
import Testing
import Delivery
import Personalization

/// A filter and a tag an application adds, carried from the content load through serving and `check`.
@Suite struct LiquidExtensionTests {
    static let money: Filter = { input, args, _ in
        try args.expect("money", min: 0, max: 0)
        guard case .int(let pence) = input else { throw LiquidError(.argument, "money: expected a whole number of pence") }
        return .string("£" + String(pence / 100) + "." + String(format: "%02d", pence % 100))
    }
    static let badge = CustomTag("badge") { arguments, _, _ in
        .string("[" + (arguments[0]?.description ?? "") + "]")
    }
    static let extensions = LiquidExtensions(filters: ["money": money], tags: [badge])
    static let files = [
        "banners/price.liquid": """
            ---
            campaign: price
            channel: banner
            placement: hero
            default: true
            ---
            <p>{% badge 'Pro' %} {{ 2400 | money }} a month, {{ user.name }}</p>
            """,
        "profiles/a.json": #"{"id": "a", "traits": {"name": "<Ada>"}}"#,
    ]

    @Test func anAddedFilterAndTagAreServed() throws {
        let delivery = try DeliveryContent.load(files: Self.files, extensions: Self.extensions, loadedAt: checkedAt)
        let user = UserMoment(profile: Profile(id: "u", traits: LiquidObject([("name", .string("<Ada>"))])), now: checkedAt, stageRules: delivery.content.stageRules)
        let outcome = delivery.deliver(.placement("hero"), to: user, history: InteractionHistory())[0]
        guard case .block(let block)? = outcome.output else {
            Issue.record("no block: \(outcome.failures)")
            return
        }
        #expect(block.html == "<p>[Pro] £24.00 a month, &lt;Ada&gt;</p>")
    }

    @Test func checkKnowsThemAndWithoutThemNamesWhatIsMissing() throws {
        let folder = try contentFolder(Self.files)
        let with = ContentCheck.run(directory: folder, extensions: Self.extensions, now: checkedAt)
        #expect(with.findings.filter { $0.severity == .error }.map(\.description) == [])
        let without = ContentCheck.run(directory: folder, now: checkedAt)
        #expect(without.errorCount >= 1)
        #expect(without.findings.first?.description.contains("banners/price.liquid:7") == true)
    }
}
