import Content
import Personalization

/// The channels these tests load content with. The delivery layer registers the real ones (with their front matter
/// keys); the core and the loader only need names, placements and keys, so the tests name their own.
extension Channel {
    static let banner = Channel(rawValue: "banner")!
    static let email = Channel(rawValue: "email")!
    static let survey = Channel(rawValue: "survey")!
}

let testChannels: [ChannelRules] = [
    ChannelRules(channel: .banner, placement: .required, frontMatterKeys: []),
    ChannelRules(channel: .survey, placement: .required, frontMatterKeys: ["question", "scale", "choices", "labels"]),
    ChannelRules(channel: .email, placement: .optional, frontMatterKeys: ["subject", "preheader", "utm", "unsubscribe"]),
]
