import Content
import Delivery
import Foundation
import Liquid
import Personalization

/// A content folder from the input: its parts (split at NUL bytes) become a campaign template with front matter,
/// a catalog CSV, a locale file and a stages file, loaded as a reload loads them. A broken folder is refused with
/// its errors; nothing may crash or hang. A folder that loads is then served: each message decided and delivered
/// for a user whose history reaches its caps, dismissal and trigger, with every decision's trace written out, so
/// that what front matter allows is also what deciding and describing can take.
let names = ["banners/fuzz.liquid", "catalog.csv", "locales/fr.json", "stages.yml", "emails/fuzz.liquid", "locales.yml"]
let now = Date(timeIntervalSince1970: 1_795_000_000)
let profile = Profile(id: "u-1", traits: LiquidObject([("first_name", "<Ada>"), ("plan", "trial"), ("signed_up_at", "2026-01-02T03:04:05Z")]),
                      events: [-90_000.0, -3_600, -60].flatMap { ago in
                          ["cart_abandoned", "purchase", "page_viewed"].map { Event(name: $0, time: now.addingTimeInterval(ago)) }
                      })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: bytes, count: count).split(separator: 0, omittingEmptySubsequences: false)
    var files: [String: String] = [:]
    for (name, part) in zip(names, parts) { files[name] = String(decoding: part, as: UTF8.self) }
    guard let delivery = try? DeliveryContent.load(files: files, loadedAt: now) else { return 0 }
    let user = UserMoment(profile: profile, now: now, stageRules: delivery.content.stageRules)
    for message in delivery.content.messages.values {
        let campaign = message.campaign
        let history = InteractionHistory([3_600.0, 86_400 * 2, 86_400 * 40].flatMap { ago in
            Interaction.Kind.allCases.map { kind in
                Interaction(userId: profile.id, campaign: campaign.id, channel: campaign.channel, kind: kind, time: now.addingTimeInterval(-ago))
            }
        })
        for outcome in delivery.deliver(.message(message), to: user, history: history,
                                        options: DeliveryOptions(depth: .full, renderRejected: true)) {
            _ = JSON.serialize(outcome.decision.traceValue)
            _ = outcome.rejection?.description
        }
        if let placement = campaign.placement {
            for outcome in delivery.deliver(.placement(placement), to: user, history: history, options: DeliveryOptions(depth: .full)) {
                _ = JSON.serialize(outcome.decision.traceValue)
            }
        }
    }
    return 0
}
