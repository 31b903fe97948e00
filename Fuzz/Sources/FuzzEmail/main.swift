import Content
import Delivery
import Foundation
import Liquid
import Personalization

/// An email whose layout's `<style>` and body come from the input (split at the first NUL byte), delivered as the
/// email route delivers it: rendered, CSS inlined into the HTML, links tagged, checked, and turned into plain text.
let now = Date(timeIntervalSince1970: 1_795_000_000)
let user = Profile(id: "u-1", traits: LiquidObject([("first_name", "<Ada>"), ("plan", "trial")]))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: bytes, count: count).split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let css = parts.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    let body = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : "<p class=\"a\">Hello {{ user.first_name }}</p>"
    let files = [
        "email.yml": "unsubscribe: \"https://northwind.example/u?id={{ user.id | url_encode }}\"\n",
        "emails/fuzz.liquid": "---\ncampaign: fuzz\nchannel: email\nsubject: \"Hi\"\n---\n"
            + "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>T</title><style>" + css + "</style></head><body>"
            + body + "</body></html>",
    ]
    guard let delivery = try? DeliveryContent.load(files: files, loadedAt: now), let message = delivery.content.messages["emails/fuzz"]
    else { return 0 }
    let moment = UserMoment(profile: user, now: now, stageRules: delivery.content.stageRules)
    _ = delivery.deliver(.message(message), to: moment, history: InteractionHistory(), options: DeliveryOptions(renderRejected: true))
    return 0
}
