import Content
import Diagnostics
import Personalization

extension Channel {
    public static let banner = Channel(rawValue: "banner")!
}

/// A banner: an HTML block in a slot of a page (a hero, a strip under the header), decided in its slot, checked
/// as a web fragment. It reads no front matter of its own.
struct BannerChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .banner, placement: .required, frontMatterKeys: [], expectsDefault: true)

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {}

    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        delivery.renderBlock(message, for: user, options: options)
    }
}
