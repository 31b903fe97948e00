import Content
import Diagnostics
import Liquid
import Personalization

extension Channel {
    public static let survey = Channel(rawValue: "survey")!
}

/// A micro-survey: a block in a slot asking one question; its template renders `survey`, the served block carries
/// it for the embed script, and the answer comes back as an interaction.
struct SurveyChannel: ChannelRenderer {
    static let rules = ChannelRules(channel: .survey, placement: .required,
                                    frontMatterKeys: ["question", "scale", "choices", "labels"])

    let spec: SurveySpec?

    init(message: MessageTemplate, content: ContentSet, issues: inout [Diagnostic]) {
        spec = SurveySpec.read(message, environment: content.environment, issues: &issues)
    }

    /// The survey's texts are rendered for the user first (in their language, with `t`), then the block, whose
    /// template sees them as `survey`; the served block carries them too, for the embed script.
    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        guard let spec else { return delivery.renderBlock(message, for: user, options: options) }
        // The user's data is made once: the texts render from it, then the block from it with `survey` added, and
        // the options' `extra` keys on top again (they win over any channel's data).
        let served = delivery.served(user)
        let data = delivery.data(for: message, campaign: message.campaign, user: user, extra: options.extra, served: served)
        let survey: Value
        do {
            survey = try spec.value(for: data, options: delivery.renderOptions(for: user, served: served, strict: options.strict, autoescape: false))
        } catch {
            return .failed(delivery.failure(message.campaign, rendering: error, what: "the survey's text"))
        }
        return delivery.renderBlock(message, for: user, options: options, fields: [("survey", survey)],
                                    prepared: (DeliveryContent.adding([("survey", survey)] + options.extra, to: data), served))
    }
}

/// A micro-survey's question, from its front matter: an NPS question (`scale: nps`, 0 to 10), a rating
/// (`scale: { from: 1, to: 5 }`), or a one-question check-in (`choices: [Smooth, A bit stuck, I need help]`).
/// Its template renders it from `survey` (`question`, `kind`, `choices` as `{value, label}`, `low`, `high`); the
/// answer comes back as an interaction and is kept as a `survey_answered` event.
public struct SurveySpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case scale(from: Int, to: Int)
        case choices([String])
    }

    public let kind: Kind
    /// Liquid sources rendered for each user (so `{{ 'surveys.nps.question' | t }}` asks in their language): the
    /// question, the words under the ends of a scale ("Not likely", "Very likely"), and each choice's label by its
    /// value (a choice given as plain text is its own label). Values are what answers carry, the same in every
    /// language.
    let question: Template
    let low: Template?
    let high: Template?
    let labels: [String: Template]
    public var isNPS: Bool { kind == .scale(from: 0, to: 10) }

    /// The values an answer may take, as text.
    public var values: [String] {
        switch kind {
        case .scale(let a, let b): return (a...b).map(String.init)
        case .choices(let list): return list
        }
    }

    /// Whether `answer` is one of the survey's values (a number on a scale, a choice's text).
    public func accepts(_ answer: Value) -> Bool {
        switch (kind, answer) {
        case (.scale(let a, let b), .int(let i)): return (a...b).contains(i)
        case (.scale(let a, let b), .string(let s)): return Int(s).map { (a...b).contains($0) } ?? false
        case (.choices(let list), .string(let s)): return list.contains(s)
        default: return false
        }
    }

    /// For NPS, the answer's group: detractor (0-6), passive (7-8) or promoter (9-10).
    public func npsCategory(_ answer: Value) -> String? {
        guard isNPS else { return nil }
        let score: Int?
        switch answer {
        case .int(let i): score = i
        case .string(let s): score = Int(s)
        default: score = nil
        }
        guard let score else { return nil }
        return score <= 6 ? "detractor" : score <= 8 ? "passive" : "promoter"
    }

    /// `survey` as templates and the API see it, its texts rendered from `data` with `options`.
    func value(for data: Value, options: RenderOptions) throws(LiquidError) -> Value {
        let kindName: String
        switch kind {
        case .scale: kindName = isNPS ? "nps" : "scale"
        case .choices: kindName = "choice"
        }
        let choices = try values.map { v throws(LiquidError) -> Value in
            .object(LiquidObject([("value", .string(v)), ("label", .string(try labels[v]?.render(data, options: options) ?? v))]))
        }
        return .object(LiquidObject([
            ("question", .string(try question.render(data, options: options))), ("kind", .string(kindName)),
            ("choices", .array(choices)),
            ("low", try low.map { t throws(LiquidError) in .string(try t.render(data, options: options)) } ?? .null),
            ("high", try high.map { t throws(LiquidError) in .string(try t.render(data, options: options)) } ?? .null),
        ]))
    }

    /// Reads a survey's front matter, reporting problems against its file.
    static func read(_ message: MessageTemplate, environment: Environment, issues: inout [Diagnostic]) -> SurveySpec? {
        let data = message.campaign.data
        func issue(_ text: String) {
            issues.append(Diagnostic(.error, .content, text, file: message.file, line: message.campaign.line, column: 1))
        }
        func parse(_ source: String, _ what: String) -> Template? {
            do {
                return try environment.parse(source, name: "\(message.file) \(what)")
            } catch {
                issue("\(what): \(error.message)")
                return nil
            }
        }
        guard let questionSource = data["question"]?.stringValue, !questionSource.isEmpty else {
            issue("a survey needs a \"question\"")
            return nil
        }
        var kind: Kind?
        var labels: [String: Template] = [:]
        switch (data["scale"], data["choices"]) {
        case (.some, .some):
            issue("a survey has either \"scale\" or \"choices\", not both")
        case (.some(.string("nps")), nil):
            kind = .scale(from: 0, to: 10)
        case (.some(.object(let o)), nil):
            if case .int(let a)? = o["from"], case .int(let b)? = o["to"], a < b, b - a <= 20 {
                kind = .scale(from: a, to: b)
            } else {
                issue("scale: nps, or { from: 1, to: 5 } (whole numbers, at most 20 apart)")
            }
        case (.some, nil):
            issue("scale: nps, or { from: 1, to: 5 }")
        case (nil, .some(.array(let items))):
            // Each choice is its text, or { value, label } when the label is translated (the value stays the answer).
            var list: [String] = []
            for item in items {
                switch item {
                case .string(let text):
                    list.append(text)
                case .object(let o):
                    guard let value = o["value"]?.stringValue, let label = o["label"]?.stringValue, o.count == 2 else {
                        list.append("")
                        continue
                    }
                    list.append(value)
                    labels[value] = parse(label, "choice \"\(value)\" label")
                default:
                    list.append("")
                }
            }
            if list.count < 2 || Set(list).count != list.count || list.contains(where: \.isEmpty) {
                issue("choices: a list of at least two different texts, or of { value, label }")
            } else {
                kind = .choices(list)
            }
        case (nil, .some):
            issue("choices: a list of at least two different texts, or of { value, label }")
        case (nil, nil):
            issue("a survey needs \"scale\" (nps, or { from: 1, to: 5 }) or \"choices\" (a list)")
        }
        let words = data["labels"]?.objectValue
        guard let kind, let question = parse(questionSource, "question") else { return nil }
        let low = words?["low"]?.stringValue.flatMap { parse($0, "labels.low") }
        let high = words?["high"]?.stringValue.flatMap { parse($0, "labels.high") }
        return SurveySpec(kind: kind, question: question, low: low, high: high, labels: labels)
    }
}
