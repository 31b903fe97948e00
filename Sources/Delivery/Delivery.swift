import Content
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// A content set made ready to serve: besides what the core loaded, the parts only delivery reads (email
/// subjects and preheaders, tour steps) parsed once, so a bad one fails the load instead of a request.
public struct DeliveryContent: Sendable {
    public let content: ContentSet
    /// Per email message: its subject and preheader templates.
    let subjects: [String: Template]
    let preheaders: [String: Template]
    /// Per email message: its unsubscribe address (front matter `unsubscribe`, else `email.yml`'s).
    let unsubscribes: [String: Template]
    /// Per email message: the parameters its links get (`email.yml`'s, with the front matter's `utm` over them).
    let linkParameters: [String: [(name: String, value: Template)]]
    /// Per survey message: its question and answers.
    public let surveys: [String: SurveySpec]
    /// Per tooltip message: the element it points at.
    public let tooltips: [String: Anchor]
    /// Per tour message: its steps.
    public let tours: [String: [TourStep]]
    /// When it was loaded.
    public let loadedAt: Date
    /// In strict renders, the top-level names whose missing fields are not errors (`stagecraft check` makes
    /// `user` and `context` such: profiles legitimately lack traits, while a misspelt global is still caught).
    public var strictOptionalRoots: Set<String> = []

    public init(_ content: ContentSet, loadedAt: Date = Date()) throws(ContentError) {
        self.content = content
        self.loadedAt = loadedAt
        var issues: [ContentIssue] = []
        var subjects: [String: Template] = [:]
        var preheaders: [String: Template] = [:]
        var tours: [String: [TourStep]] = [:]
        var surveys: [String: SurveySpec] = [:]
        var tooltips: [String: Anchor] = [:]
        var unsubscribes: [String: Template] = [:]
        var linkParameters: [String: [(name: String, value: Template)]] = [:]
        let settings = content.email
        func parseSetting(_ source: EmailSettings.Source, _ what: String) -> Template? {
            do {
                return try content.environment.parse(source.text, name: "email.yml \(what)")
            } catch {
                issues.append(ContentIssue(file: "email.yml", line: source.line, column: 1, message: "\(what): \(error.message)"))
                return nil
            }
        }
        let sharedUnsubscribe = settings.unsubscribe.flatMap { parseSetting($0, "unsubscribe") }
        let sharedParameters = settings.linkParameters.compactMap { p in parseSetting(p.value, p.name).map { (name: p.name, value: $0) } }
        for message in content.messages.values.sorted(by: { $0.name < $1.name }) {
            let campaign = message.campaign
            func parse(_ key: String) -> Template? {
                guard let source = campaign.data[key]?.stringValue else { return nil }
                do {
                    return try content.environment.parse(source, name: "\(message.file) \(key)")
                } catch {
                    issues.append(ContentIssue(file: message.file, line: campaign.line, column: 1,
                                               message: "\(key): \(error.message)"))
                    return nil
                }
            }
            switch campaign.channel {
            case .email:
                if campaign.data["subject"] == nil, !campaign.isDefault {
                    issues.append(ContentIssue(file: message.file, line: campaign.line, column: 1,
                                               message: "an email needs a subject in its front matter"))
                }
                subjects[message.name] = parse("subject")
                preheaders[message.name] = parse("preheader")
                unsubscribes[message.name] = parse("unsubscribe") ?? sharedUnsubscribe
                linkParameters[message.name] = Self.linkParameters(of: message, over: sharedParameters,
                                                                   environment: content.environment, issues: &issues)
            case .tour:
                tours[message.name] = TourStep.read(campaign.data["steps"], message: message, environment: content.environment,
                                                     knownStages: content.stageRules.stages, issues: &issues)
            case .survey:
                surveys[message.name] = SurveySpec.read(message, issues: &issues)
            case .tooltip:
                tooltips[message.name] = Anchor.read(message.campaign.data, what: "a tooltip") { text in
                    issues.append(ContentIssue(file: message.file, line: message.campaign.line, column: 1, message: text))
                }
            case .banner:
                break
            }
        }
        if !issues.isEmpty { throw ContentError(issues) }
        self.subjects = subjects
        self.preheaders = preheaders
        self.tours = tours
        self.surveys = surveys
        self.tooltips = tooltips
        self.unsubscribes = unsubscribes
        self.linkParameters = linkParameters
        // A placement's default is what shows when everything else fails, so it must render and validate for
        // anyone: it is tried here for a user the set knows nothing about.
        let nobody = UserMoment(profile: Profile(id: "default-check"), now: loadedAt, stageRules: content.stageRules)
        for placement in content.engine.placements {
            guard let campaign = content.engine.placementDefault(for: placement) else { continue }
            if case .failure(let f) = render(campaign, for: nobody) {
                let line = f.line ?? campaign.line
                issues.append(ContentIssue(file: campaign.file, line: line, column: f.column ?? 1,
                                           message: "the default of \(placement) must render and validate for any user: \(f.message)"))
            }
        }
        if !issues.isEmpty { throw ContentError(issues) }
    }

    /// A campaign's link parameters: the shared ones, with its front matter `utm` mapping over them (a value replaces,
    /// a new name adds, an empty value removes), or none for `utm: false`.
    static func linkParameters(of message: MessageTemplate, over shared: [(name: String, value: Template)],
                               environment: Environment, issues: inout [ContentIssue]) -> [(name: String, value: Template)]
    {
        let campaign = message.campaign
        guard let own = campaign.data["utm"] else { return shared }
        if case .bool(false) = own { return [] }
        guard case .object(let o) = own else {
            issues.append(ContentIssue(file: message.file, line: campaign.line, column: 1,
                                       message: "utm: a mapping of link parameters such as { utm_campaign: spring-sale }, or false"))
            return shared
        }
        var list = shared
        for (name, value) in o.pairs {
            guard let source = value.stringValue ?? (value.isNil ? "" : nil) else {
                issues.append(ContentIssue(file: message.file, line: campaign.line, column: 1,
                                           message: "utm: the parameter \"\(name)\" must be text"))
                continue
            }
            let template: Template
            do {
                template = try environment.parse(source, name: "\(message.file) utm \(name)")
            } catch {
                issues.append(ContentIssue(file: message.file, line: campaign.line, column: 1, message: "utm \(name): \(error.message)"))
                continue
            }
            if let i = list.firstIndex(where: { $0.name == name }) {
                list[i].value = template
            } else {
                list.append((name, template))
            }
        }
        return list
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
    }

    public let campaign: String
    public let template: String
    public let channel: Channel
    public let reason: Reason
    public let message: String
    /// Line and column of a Liquid error in the template file (or in `partial`), when Liquid gave them.
    public let line: Int?
    public let column: Int?
    /// The partial or layout the Liquid error is in, when it is not the message's own file.
    public let partial: String?
    /// What kind of Liquid error stopped the render, for `render_error`.
    public let liquidError: LiquidError.Kind?
    /// The HTML checker's findings, for `invalid_html`.
    public let diagnostics: [Diagnostic]

    public var description: String {
        "\(campaign) (\(template)): \(reason.rawValue): \(message)"
    }
}
