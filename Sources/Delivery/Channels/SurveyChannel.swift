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
        spec = SurveySpec.read(message, issues: &issues)
    }

    func render(_ message: MessageTemplate, for user: UserMoment, in delivery: DeliveryContent,
                options: DeliveryOptions) -> ChannelRender
    {
        delivery.renderBlock(message, for: user, options: options, channelData: blockFields)
    }

    var blockFields: [(String, Value)] { spec.map { [("survey", $0.value)] } ?? [] }
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

    public let question: String
    public let kind: Kind
    /// Words under the ends of a scale ("Not likely", "Very likely").
    public let low: String?
    public let high: String?
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

    /// `survey` as templates and the API see it.
    public var value: Value {
        let kindName: String
        switch kind {
        case .scale: kindName = isNPS ? "nps" : "scale"
        case .choices: kindName = "choice"
        }
        return .object(LiquidObject([
            ("question", .string(question)), ("kind", .string(kindName)),
            ("choices", .array(values.map { .object(LiquidObject([("value", .string($0)), ("label", .string($0))])) })),
            ("low", low.map(Value.string) ?? .null), ("high", high.map(Value.string) ?? .null),
        ]))
    }

    /// Reads a survey's front matter, reporting problems against its file.
    static func read(_ message: MessageTemplate, issues: inout [Diagnostic]) -> SurveySpec? {
        let data = message.campaign.data
        func issue(_ text: String) {
            issues.append(Diagnostic(.error, .content, text, file: message.file, line: message.campaign.line, column: 1))
        }
        guard let question = data["question"]?.stringValue, !question.isEmpty else {
            issue("a survey needs a \"question\"")
            return nil
        }
        var kind: Kind?
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
            let list = items.compactMap(\.stringValue)
            if list.count != items.count || list.count < 2 || Set(list).count != list.count || list.contains(where: \.isEmpty) {
                issue("choices: a list of at least two different texts")
            } else {
                kind = .choices(list)
            }
        case (nil, .some):
            issue("choices: a list of at least two different texts")
        case (nil, nil):
            issue("a survey needs \"scale\" (nps, or { from: 1, to: 5 }) or \"choices\" (a list)")
        }
        guard let kind else { return nil }
        let labels = data["labels"]?.objectValue
        return SurveySpec(question: question, kind: kind, low: labels?["low"]?.stringValue, high: labels?["high"]?.stringValue)
    }
}
