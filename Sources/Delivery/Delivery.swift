import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// A content set made ready to serve: besides what the core loaded, what each message's channel reads from its
/// front matter (email subjects, tour steps, a survey's question) parsed once, so a bad one fails the load instead
/// of a request.
public struct DeliveryContent: Sendable {
    public let content: ContentSet
    /// Per message name: its channel, with what it read from the message at load.
    let renderers: [String: any ChannelRenderer]
    /// When it was loaded.
    public let loadedAt: Date
    /// In strict renders, the top-level names whose missing fields are not errors (`stagecraft check` makes
    /// `user` and `context` such: profiles legitimately lack traits, while a misspelt global is still caught).
    public var strictOptionalRoots: Set<String> = []

    /// Loads the content folder at `directory` for the registered channels, and makes it ready to serve.
    public static func load(directory: String, extensions: LiquidExtensions = LiquidExtensions(),
                            loadedAt: Date = Date()) throws(ContentError) -> DeliveryContent
    {
        try DeliveryContent(ContentSet.load(directory: directory, channels: Channels.rules, extensions: extensions), loadedAt: loadedAt)
    }

    /// Loads content from file texts by relative path for the registered channels (what `ContentSet.readFiles` reads).
    public static func load(files: [String: String], directory: String = "", issues: [Diagnostic] = [],
                            extensions: LiquidExtensions = LiquidExtensions(), loadedAt: Date = Date()) throws(ContentError) -> DeliveryContent
    {
        try DeliveryContent(ContentSet.load(files: files, directory: directory, issues: issues, channels: Channels.rules,
                                            extensions: extensions),
                            loadedAt: loadedAt)
    }

    public init(_ content: ContentSet, loadedAt: Date = Date()) throws(ContentError) {
        self.content = content
        self.loadedAt = loadedAt
        var issues: [Diagnostic] = []
        var renderers: [String: any ChannelRenderer] = [:]
        for message in content.messages.values.sorted(by: { $0.name < $1.name }) {
            guard let type = Channels.renderer(of: message.campaign.channel) else {
                issues.append(Diagnostic(.error, .content, "no channel \"\(message.campaign.channel.rawValue)\" is registered",
                                         file: message.file, line: message.campaign.line, column: 1))
                continue
            }
            renderers[message.name] = type.init(message: message, content: content, issues: &issues)
        }
        for type in Channels.all { issues += type.check(content) }
        if !issues.isEmpty { throw ContentError(issues) }
        self.renderers = renderers
        // A placement's default is what shows when everything else fails, so it must render and validate for
        // anyone: it is tried here for a user the set knows nothing about.
        let nobody = UserMoment(profile: Profile(id: "default-check"), now: loadedAt, stageRules: content.stageRules)
        for placement in content.engine.placements {
            guard let campaign = content.engine.placementDefault(for: placement) else { continue }
            guard Channels.renderer(of: campaign.channel)?.isServedInSlot == true else {
                issues.append(Diagnostic(.error, .content, "the default of \(placement) is of the \(campaign.channel.rawValue) channel, whose "
                                         + "messages are not shown in slots; make a block (a banner, say) the default",
                                         file: campaign.file, line: message(for: campaign)?.line(of: "default") ?? campaign.line, column: 1))
                continue
            }
            if let f = render(campaign, for: nobody, options: DeliveryOptions()).failures.first {
                var d = f.firstError(file: campaign.file, line: campaign.line)
                d.message = "the default of \(placement) must render and validate for any user: " + d.message
                issues.append(d)
            }
        }
        if !issues.isEmpty { throw ContentError(issues) }
    }

    /// A survey message's question and answers, by template name.
    public func survey(for template: String) -> SurveySpec? { (renderers[template] as? SurveyChannel)?.spec }

    /// What a served block of this template carries besides its HTML (a tooltip's anchor, a survey's question).

    /// A campaign's message rendered by its channel for the user, and checked.
    func render(_ campaign: Campaign, for user: UserMoment, options: DeliveryOptions) -> ChannelRender {
        guard let message = message(for: campaign), let renderer = renderers[message.name] else {
            return .failed(failure(campaign, .missingTemplate, "no template \"\(campaign.template)\" in the content"))
        }
        return renderer.render(message, for: user, in: self, options: options)
    }

    /// The message template a campaign renders.
    public func message(for campaign: Campaign) -> MessageTemplate? {
        content.messages[campaign.template]
    }
}

/// Why a message could not be served.
public struct DeliveryFailure: Sendable, Error, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The campaign's template is not in the content.
        case missingTemplate = "missing_template"
        /// Liquid stopped with an error (an undefined variable in strict mode, a limit, a filter error).
        case renderError = "render_error"
        /// The output is not valid HTML for its channel.
        case invalidHTML = "invalid_html"
        /// The output breaks its channel's rules for text (markup or control characters left, a payload too large,
        /// a link that is not one).
        case invalidOutput = "invalid_output"
    }

    public let campaign: String
    public let template: String
    public let channel: Channel
    public let reason: Reason
    public let message: String
    /// What kind of Liquid error stopped the render, for `render_error`.
    public let liquidError: LiquidError.Kind?
    /// The problems behind it, never none: a Liquid error in the template, partial or layout it is in; the checks'
    /// findings (warnings too), at the template lines that wrote them when the renderer could say.
    public let diagnostics: [Diagnostic]

    /// The first error, at a place in a file: where a problem found in the output is not placed in a template, at
    /// `file`'s `line` (the campaign's), with the output's place kept.
    public func firstError(file: String, line: Int) -> Diagnostic {
        let first = diagnostics.errors.first ?? diagnostics.first
            ?? Diagnostic(.error, .content, message, file: file, line: line, column: 1)
        return first.file == nil ? first.placed(at: SourceLocation(file: file, line: line, column: 1)) : first
    }

    public var description: String {
        "\(campaign) (\(template)): \(reason.rawValue): \(message)"
    }
}
