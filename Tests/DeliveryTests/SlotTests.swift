import Content
import Delivery
import Foundation
import Liquid
import Personalization
import Testing

/// What a slot may hold: blocks of the channels shown in slots, never a message sent on its own.
@Suite struct SlotTests {
    static let bannerDefault = "---\ncampaign: hero-default\nchannel: banner\nplacement: hero\ndefault: true\n---\n<p>Default</p>\n"

    @Test func anEmailGivenAPlacementIsPassedOverWithAReason() throws {
        let delivery = try DeliveryContent.load(files: [
            "banners/default.liquid": Self.bannerDefault,
            "emails/e.liquid": "---\ncampaign: e\nchannel: email\nplacement: hero\npriority: 10\nsubject: Hi\n---\n<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>\n",
        ], loadedAt: checkedAt)
        let user = UserMoment(profile: Profile(id: "u"), now: checkedAt, stageRules: delivery.content.stageRules)
        let outcome = delivery.deliver(.placement("hero"), to: user, history: InteractionHistory())[0]
        guard case .block(let block)? = outcome.output else { Issue.record("no block"); return }
        #expect(block.campaign.id == "hero-default" && block.source == .placementDefault)
        #expect(outcome.failures.map(\.message) == ["email messages are not shown in slots, so e cannot fill hero"])
    }

    @Test func aSlotsDefaultMustBeABlock() {
        do {
            _ = try DeliveryContent.load(files: [
                "emails/e.liquid": "---\ncampaign: e\nchannel: email\nplacement: hero\ndefault: true\n---\n<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>\n",
            ], loadedAt: checkedAt)
            Issue.record("an email as a slot's default loaded")
        } catch {
            #expect(error.diagnostics.map(\.description).contains {
                $0.hasPrefix("emails/e.liquid:5:1: error: the default of hero is of the email channel")
            })
        }
    }
}
