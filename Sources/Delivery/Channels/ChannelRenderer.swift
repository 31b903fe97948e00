import Content
import Diagnostics
import HTMLCheck
import Liquid
import Personalization

/// A channel: the front matter its messages carry (checked at load), how one renders for a user, how its output is
/// checked, and what a served block of it carries. Each channel is one conforming type in a file of its own,
/// registered in ``Channels/all``; the pipeline, the loader, `check`, the preview and the routes go through this.
public protocol ChannelRenderer: Sendable {
    /// Its name, whether its campaigns fill a slot, and the front matter keys it reads.
    static var rules: ChannelRules { get }

    /// Reads one message's channel front matter once, at load (subjects parsed, tour steps, a survey's question),
    /// reporting problems at the message's line into `issues`; a load with issues fails, so a render never meets
    /// front matter it cannot use.
    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic])

    /// Checks what the channel reads from the whole content set (`email.yml`), once per load, whether or not any
    /// message uses it yet.
    static func check(_ content: ContentSet) -> [Diagnostic]

    /// The message rendered for the user in the channel's form, and checked: its output, also when a check fails (a
    /// preview shows it beside the problems), and every failure met.
    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
}

extension ChannelRenderer {
    public static func check(_ content: ContentSet) -> [Diagnostic] { [] }

    /// Whether its campaigns are decided in the slot they fill (with fallbacks and the slot's default), rather than
    /// each on its own as a sent message is.
    static var isServedInSlot: Bool { rules.placement == .required }
}

/// A channel's render of one message: the output (nil when nothing could be rendered) and what failed.
public struct ChannelRender: Sendable {
    public var output: DeliveredOutput?
    public var failures: [DeliveryFailure]

    public init(output: DeliveredOutput?, failures: [DeliveryFailure] = []) {
        self.output = output
        self.failures = failures
    }

    static func failed(_ failure: DeliveryFailure) -> ChannelRender { ChannelRender(output: nil, failures: [failure]) }
}

/// The channels the server renders, one line each: adding a channel is its file and its line here.
public enum Channels {
    static let all: [any ChannelRenderer.Type] = [
        BannerChannel.self,
        TooltipChannel.self,
        SurveyChannel.self,
        TourChannel.self,
        EmailChannel.self,
        PushChannel.self,
    ]

    /// What content loading needs to know of each.
    public static var rules: [ChannelRules] { all.map { $0.rules } }

    /// The registered type of a channel.
    static func renderer(of channel: Channel) -> (any ChannelRenderer.Type)? {
        all.first { $0.rules.channel == channel }
    }
}
