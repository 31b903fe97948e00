import Content
import Diagnostics
import Liquid
import Personalization

extension Channel {
    public static let tooltip = Channel(rawValue: "tooltip")!
}

/// A tooltip: a block that floats next to an element of the page (`target`, a CSS selector, and `position`), decided
/// in its slot; the served block carries where it points.
struct TooltipChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .tooltip, placement: .required, frontMatterKeys: ["target", "position"],
                                    expectsDefault: true)

    let anchor: Anchor?

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {
        anchor = Anchor.read(message.campaign.data, what: "a tooltip") { text in
            issues.append(Diagnostic(.error, .content, text, file: message.file, line: message.campaign.line, column: 1))
        }
    }

    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        delivery.renderBlock(message, for: user, options: options, fields: fields)
    }

    /// Where the tooltip points, for the embed script.
    var fields: [(String, Value)] {
        anchor.map { [("target", .string($0.target)), ("position", .string($0.position.rawValue))] } ?? []
    }
}
