import Personalization

/// What loading content knows of a channel: its name, whether its campaigns name a placement, and the front matter
/// keys it reads (kept in ``Campaign/data`` for it and its templates). The delivery layer registers one per channel
/// it renders; a front matter key no registered channel reads, or one another channel reads, is reported.
public struct ChannelRules: Sendable {
    public enum Placement: Sendable {
        /// Every campaign names the slot it fills (banners, tooltips, surveys).
        case required
        /// A campaign may name one (an email or a tour is sent or run on its own).
        case optional
    }

    public let channel: Channel
    public let placement: Placement
    public let frontMatterKeys: Set<String>
    /// Whether a slot it fills should have a default (`check` warns when one has none): a banner's slot shows
    /// nothing without one, while a survey asks only when one is due.
    public let expectsDefault: Bool

    public init(channel: Channel, placement: Placement, frontMatterKeys: Set<String>, expectsDefault: Bool = false) {
        self.channel = channel
        self.placement = placement
        self.frontMatterKeys = frontMatterKeys
        self.expectsDefault = expectsDefault
    }

    /// Keys any campaign may carry for its templates and tools, whatever its channel.
    public static let sharedKeys: Set<String> = ["title", "description", "tags", "ttl"]
}
