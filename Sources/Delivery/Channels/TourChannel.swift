import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

extension Channel {
    public static let tour = Channel(rawValue: "tour")!
}

/// A product tour: steps that point at elements of a page, each rendered through the tour's template with `step`
/// (`number`, `count`, `title`, `body`, `target`, `position`, `first`, `last`), run by the embed script.
struct TourChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .tour, placement: .optional, frontMatterKeys: ["steps"])

    let steps: [TourStep]

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {
        steps = TourStep.read(message.campaign.data["steps"], message: message, environment: content.environment,
                              knownStages: content.stageRules.stages, issues: &issues)
    }

    /// The steps this user sees, each checked as a web fragment; the first that fails stops the tour.
    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        let campaign = message.campaign
        let steps = steps.filter { $0.applies(to: user) }
        var rendered: [RenderedStep] = []
        let plain = delivery.renderOptions(for: user, strict: options.strict, autoescape: false)
        let escaped = delivery.renderOptions(for: user, strict: options.strict)
        // The user's data is the same for every step; each step adds only `step`.
        let base = delivery.data(for: message, campaign: campaign, user: user, extra: options.extra)
        for (i, step) in steps.enumerated() {
            do {
                let title = try step.title?.render(base, options: plain) ?? ""
                let body = try step.body?.render(base, options: plain) ?? ""
                let stepValue: Value = .object(LiquidObject([
                    ("number", .int(i + 1)), ("count", .int(steps.count)), ("first", .bool(i == 0)),
                    ("last", .bool(i == steps.count - 1)), ("title", .string(title)), ("body", .string(body)),
                    ("target", .string(step.target)), ("position", .string(step.position.rawValue)),
                ]))
                var withStep = base.objectValue ?? LiquidObject()
                withStep["step"] = stepValue
                let stepTemplate = message.template(for: delivery.locale(for: user))
                let html = try stepTemplate.render(.object(withStep), options: escaped)
                let report = delivery.check(html, as: .web, of: stepTemplate, data: .object(withStep), options: options, for: user)
                if let f = delivery.verdict(report, campaign: campaign).failure {
                    return .failed(f)
                }
                rendered.append(RenderedStep(target: step.target, position: step.position, html: html))
            } catch {
                return .failed(delivery.failure(campaign, rendering: error, what: "step \(i + 1)"))
            }
        }
        return ChannelRender(output: .tour(rendered))
    }
}

/// One step of a product tour: the element it points at, where it sits, and its words. The tour's template
/// renders each step (as `step`), so one piece of markup serves them all.
public struct TourStep: Sendable {
    public enum Position: String, Sendable, CaseIterable {
        case top, bottom, left, right
    }

    /// A CSS selector for the element the step points at.
    public let target: String
    public let position: Position
    /// Liquid sources, rendered for the user (their output is escaped where the step template prints it).
    let title: Template?
    let body: Template?
    /// Who sees the step: only these stages, and only users matching the audience (a role, say). Nil is everyone.
    public let stages: [String]?
    public let audience: AudienceCondition?

    static let keys: Set<String> = ["target", "position", "title", "body", "stages", "audience"]

    /// Reads a tour's `steps` front matter list, reporting problems against the message's file.
    static func read(_ value: Value?, message: MessageTemplate, environment: Environment, knownStages: [String],
                     issues: inout [Diagnostic]) -> [TourStep]
    {
        let line = message.campaign.line
        func issue(_ text: String) {
            issues.append(Diagnostic(.error, .content, text, file: message.file, line: line, column: 1))
        }
        guard let list = value?.arrayValue, !list.isEmpty else {
            issue("a tour needs \"steps\": a list of {target, position, title, body}")
            return []
        }
        var steps: [TourStep] = []
        for (i, raw) in list.enumerated() {
            let n = i + 1
            guard case .object(let o) = raw else {
                issue("step \(n) must be a mapping with target, position, title and body")
                continue
            }
            for key in o.keys where !keys.contains(key) {
                issue("step \(n): unknown key \"\(key)\"; a step has " + keys.sorted().joined(separator: ", "))
            }
            guard let anchor = Anchor.read(o, what: "step \(n)", issue: issue) else { continue }
            func parse(_ key: String) -> Template? {
                guard let source = o[key]?.stringValue else { return nil }
                do {
                    return try environment.parse(source, name: "\(message.file) step \(n) \(key)")
                } catch {
                    issue("step \(n) \(key): \(error.message)")
                    return nil
                }
            }
            var stages: [String]?
            if let raw = o["stages"] {
                stages = (raw.arrayValue ?? [raw]).compactMap(\.stringValue)
                for stage in stages ?? [] where !knownStages.contains(stage) {
                    issue("step \(n): unknown stage \"\(stage)\"; the stages are " + knownStages.joined(separator: ", "))
                }
            }
            var audience: AudienceCondition?
            if let definition = o["audience"] {
                guard case .object = definition else {
                    issue("step \(n): \"audience\" is a condition mapping such as {user.role: admin}")
                    continue
                }
                audience = AudienceCondition(definition)
            }
            steps.append(TourStep(target: anchor.target, position: anchor.position, title: parse("title"), body: parse("body"),
                                  stages: stages, audience: audience))
        }
        return steps
    }

    /// Whether the user at this moment sees the step.
    func applies(to user: UserMoment) -> Bool {
        if let stages, !stages.contains(user.stage.stage) { return false }
        if let audience, !audience.matches(user.attributes) { return false }
        return true
    }
}

/// A tour step rendered for a user.
public struct RenderedStep: Sendable {
    public let target: String
    public let position: TourStep.Position
    public let html: String
}

/// Where a tooltip or a tour step points: a CSS selector and the side it sits on (`target`, `position`).
public struct Anchor: Sendable {
    public let target: String
    public let position: TourStep.Position

    /// Reads `target` (required) and `position` (bottom when not given) from a tooltip's front matter or a step.
    static func read(_ o: LiquidObject, what: String, issue: (String) -> Void) -> Anchor? {
        guard let target = o["target"]?.stringValue, !target.trimmingCharacters(in: .whitespaces).isEmpty else {
            issue("\(what) needs a \"target\": the CSS selector of the element it points at, such as #invite-button")
            return nil
        }
        var position = TourStep.Position.bottom
        if let name = o["position"]?.stringValue {
            guard let p = TourStep.Position(rawValue: name) else {
                issue("\(what): position \"\(name)\" is not one of top, bottom, left, right")
                return nil
            }
            position = p
        }
        return Anchor(target: target, position: position)
    }
}
