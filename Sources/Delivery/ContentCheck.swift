import Content
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// `stagecraft check`: everything that can be known about a content folder before it goes live. The folder is
/// loaded as the server loads it; then every message is rendered for every sample profile at every stage in strict
/// mode and checked as its channel's HTML, and the set is read for mistakes no single render shows: partials and
/// recommendation rules that do not exist, profile fields no sample has (a typo, or a sample to complete),
/// campaigns that can never win, placements with nothing to show when no campaign is eligible.
public struct ContentCheck: Sendable {
    /// What one message needs and was tried with.
    public struct MessageSummary: Sendable {
        public var file: String
        public var campaign: String
        public var channel: String
        /// `user.*` fields it reads (with its layouts and partials), sorted.
        public var profileFields: [String]
        public var renders: Int
    }

    /// Every problem found, each at a place in a file of the folder, sorted by file and line.
    public var findings: [Diagnostic] = []
    public var messages: [MessageSummary] = []
    public var profiles: [String] = []
    public var stages: [String] = []
    /// Each content locale's share of the translation keys the templates use.
    public var locales: [LocaleCoverage] = []
    public var renders = 0

    public var errorCount: Int { findings.filter { $0.severity == .error }.count }
    public var warningCount: Int { findings.filter { $0.severity == .warning }.count }

    /// Checks the folder at `directory` as of `now`.
    public static func run(directory: String, extensions: LiquidExtensions = LiquidExtensions(), now: Date = Date()) -> ContentCheck {
        var check = ContentCheck()
        let files: [String: String]
        let readIssues: [Diagnostic]
        do {
            (files, readIssues) = try ContentSet.readFiles(directory: directory)
        } catch {
            check.findings += error.diagnostics
            return check
        }
        let content: ContentSet
        do {
            content = try ContentSet.load(files: files, directory: directory, issues: readIssues, channels: Channels.rules,
                                          extensions: extensions)
        } catch {
            check.findings += error.diagnostics
            return check
        }
        check.findings += content.warnings
        var delivery: DeliveryContent
        do {
            delivery = try DeliveryContent(content, loadedAt: now)
        } catch {
            check.findings += error.diagnostics
            return check
        }
        delivery.strictOptionalRoots = ["user", "context"]
        check.profiles = content.profiles.keys.sorted()
        check.stages = content.stageRules.stages
        if content.profiles.isEmpty {
            check.warn("profiles", 1, 1, "no-profiles", "no sample profiles in profiles/: templates were not rendered; add one per stage at least")
        }
        check.checkReferences(content, files: files)
        check.checkGoals(content, files: files)
        check.checkLayouts(content)
        let (localeFindings, coverage) = LocaleCheck.run(content.translations, files: files)
        check.findings += localeFindings
        check.locales = coverage
        check.renderAll(delivery, files: files, now: now)
        check.checkShadowing(content)
        check.checkDefaults(content)
        check.findings = check.findings.sortedByPlace()
        return check
    }

    // MARK: Findings

    private mutating func error(_ file: String, _ line: Int, _ column: Int, _ code: String, _ message: String) {
        findings.append(Diagnostic(.error, .content, code: code, message, file: file, line: line, column: column))
    }

    private mutating func warn(_ file: String, _ line: Int, _ column: Int, _ code: String, _ message: String) {
        findings.append(Diagnostic(.warning, .content, code: code, message, file: file, line: line, column: column))
    }

    /// Where `text` first appears in a file (1-based line and column), for findings about a name.
    static func position(of text: String, in source: String?, after marker: String? = nil) -> (Int, Int)? {
        guard let source else { return nil }
        var from = source.startIndex
        if let marker {
            guard let m = source.range(of: marker) else { return nil }
            from = m.upperBound
        }
        guard let range = source.range(of: text, range: from..<source.endIndex) else { return nil }
        let before = source[..<range.lowerBound]
        let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: "\n").map { source.index(after: $0) } ?? source.startIndex
        return (line, source[lineStart..<range.lowerBound].count + 1)
    }

    // MARK: References

    /// Partials, layouts and recommendation rules named but not there; profile fields no sample profile has.
    private mutating func checkReferences(_ content: ContentSet, files: [String: String]) {
        let ruleNames = Set(content.recommendationRules.map(\.name))
        let sampleUsers = content.profiles.values.map { TargetingAttributes.user($0) }
        var partialAnalyses: [String: TemplateAnalysis] = [:]
        for message in content.messages.values.sorted(by: { $0.file < $1.file }) {
            let source = files[message.file]
            let inputs = ContentSet.reachable(from: message.template, partials: content.partials,
                                              environment: content.environment, parsed: &partialAnalyses)
            for name in inputs.partials where content.partials[name] == nil {
                let (line, column) = Self.position(of: "'\(name)'", in: source) ?? Self.position(of: "\"\(name)\"", in: source)
                    ?? (message.campaign.line, 1)
                var text = "no partial or layout \"\(name)\" (\(name).liquid)"
                if let near = Suggestion.closest(to: name, in: content.partials.keys) { text += "; did you mean \"\(near)\"?" }
                error(message.file, line, column, "missing-partial", text)
            }
            for rule in message.recommendations where !ruleNames.contains(rule) {
                let (line, column) = Self.position(of: "recommendations.\(rule)", in: source) ?? (message.campaign.line, 1)
                var text = "no recommendation rule \"\(rule)\" in recommendations.yml"
                if let near = Suggestion.closest(to: rule, in: ruleNames) { text += "; did you mean \"\(near)\"?" }
                error(message.file, line, column, "missing-recommendation-rule", text)
            }
            let fields = inputs.variables.filter { $0.hasPrefix("user.") }.sorted()
            messages.append(MessageSummary(file: message.file, campaign: message.campaign.id,
                                           channel: message.campaign.channel.rawValue, profileFields: fields, renders: 0))
            guard !sampleUsers.isEmpty else { continue }
            for field in fields where !sampleUsers.contains(where: { Self.resolves(field, in: $0) }) {
                let (line, column) = Self.position(of: field, in: source) ?? (message.campaign.line, 1)
                warn(message.file, line, column, "field-not-in-samples",
                     "\(field) is in no sample profile: a typo, or a field to add to one of profiles/*.json so it is checked")
            }
        }
    }

    /// Goals whose event no sample profile has and no stage rule counts: a typo, or an event the samples should show.
    private mutating func checkGoals(_ content: ContentSet, files: [String: String]) {
        var known = Set(content.profiles.values.flatMap { $0.events.map(\.name) })
        for rule in content.stageRules.rules { Self.countedEvents(rule.when.definition, into: &known) }
        for message in content.messages.values.sorted(by: { $0.file < $1.file }) {
            for goal in message.campaign.goals where !known.contains(goal.event) {
                let (line, column) = Self.position(of: goal.event, in: files[message.file], after: "goals:") ?? (message.campaign.line, 1)
                var text = "goal \"\(goal.name)\": no sample profile has a \"\(goal.event)\" event and no stage rule counts one"
                if let near = Suggestion.closest(to: goal.event, in: known) { text += "; did you mean \"\(near)\"?" }
                warn(message.file, line, column, "goal-event-unknown", text)
            }
        }
    }

    /// The events a condition counts (`facts.event_counts.NAME...` paths).
    private static func countedEvents(_ condition: Value, into names: inout Set<String>) {
        switch condition {
        case .object(let o):
            for (key, value) in o.pairs {
                let parts = key.split(separator: ".")
                if let i = parts.firstIndex(of: "event_counts"), i + 1 < parts.count { names.insert(String(parts[i + 1])) }
                countedEvents(value, into: &names)
            }
        case .array(let items):
            for item in items { countedEvents(item, into: &names) }
        default:
            break
        }
    }

    /// Templates that extend a layout: a block the layout (or the layouts it extends) does not have is never shown
    /// (an error); text or tags outside the blocks are dropped (a warning at their line).
    private mutating func checkLayouts(_ content: ContentSet) {
        let partials = content.partials.compactMapValues { try? content.environment.parse($0, name: nil) }
        var templates: [(file: String, template: Template)] = content.messages.values.map { ($0.file, $0.template) }
        templates += partials.map { ($0.key + ".liquid", $0.value) }
        for (file, template) in templates.sorted(by: { $0.file < $1.file }) {
            guard let inheritance = template.inheritance else { continue }
            for site in inheritance.outside {
                let what = site.name == "text" ? "Text" : site.name == "output" ? "Output" : "{% \(site.name) %}"
                warn(file, site.line, site.column, "outside-block",
                     "\(what) outside any block is never shown: a template that extends \"\(inheritance.layout)\" renders its blocks only")
            }
            guard let defined = Self.blocks(of: inheritance.layout, in: partials) else { continue }
            for site in inheritance.blocks where !defined.contains(site.name) {
                var text = "block \"\(site.name)\" is not in the layout \"\(inheritance.layout)\", so it is never shown"
                if let near = Suggestion.closest(to: site.name, in: defined) {
                    text += "; did you mean \"\(near)\"?"
                } else {
                    text += "; the layout's blocks: " + defined.sorted().joined(separator: ", ")
                }
                error(file, site.line, site.column, "block-not-in-layout", text)
            }
        }
    }

    /// The blocks a layout offers: its own and those of the layouts it extends; nil when it is missing (reported
    /// with the other missing partials).
    static func blocks(of layout: String, in partials: [String: Template]) -> Set<String>? {
        var names: Set<String> = []
        var next: String? = layout
        var seen: Set<String> = []
        while let name = next, seen.insert(name).inserted {
            guard let template = partials[name] else { return name == layout ? nil : names }
            names.formUnion(template.analysis.blocks)
            next = template.inheritance?.layout
        }
        return names
    }

    /// Whether a dotted path (`user.address.city`) leads somewhere in `value` (its first part is the root).
    static func resolves(_ path: String, in value: Value) -> Bool {
        var current = value
        for key in path.split(separator: ".").dropFirst() {
            switch current {
            case .object(let o):
                guard let next = o[String(key)] else { return false }
                current = next
            case .array(let a):
                guard ["size", "first", "last"].contains(key) else { return false }
                if key == "size" { return true }
                guard let next = key == "first" ? a.first : a.last else { return true }
                current = next
            case .string:
                return key == "size"
            default:
                return false
            }
        }
        return true
    }

    // MARK: Renders

    /// Every message for every sample profile at every stage in every locale of the content, strict, checked as
    /// its channel's HTML. A problem met by several renders is reported once, with the first profile, stage and
    /// locale it showed for and how many more.
    private mutating func renderAll(_ delivery: DeliveryContent, files: [String: String], now: Date) {
        let content = delivery.content
        var seen: [String: (index: Int, count: Int)] = [:]
        let locales = content.translations.locales
        for (m, message) in content.messages.values.sorted(by: { $0.file < $1.file }).enumerated() {
            // `checkReferences` made one summary per message, in this same order.
            for profileName in content.profiles.keys.sorted() {
                let profile = content.profiles[profileName]!
                for stage in content.stageRules.stages {
                  for locale in locales {
                    let user = UserMoment(profile: profile, now: now, stageRules: content.stageRules, statedStage: stage, locale: locale)
                    renders += 1
                    messages[m].renders += 1
                    for finding in render(message, for: user, delivery) {
                        // The same problem in another render: the same place, code and words.
                        let key = "\(finding.location)|\(finding.code ?? "")|\(finding.message)"
                        if let s = seen[key] {
                            seen[key] = (s.index, s.count + 1)
                            continue
                        }
                        var f = finding
                        let rendering = finding.file == message.file ? "" : "rendering \(message.file); "
                        let language = locales.count > 1 ? " in \(locale)" : ""
                        f.message += " (\(rendering)for profile \(profileName) at stage \(stage)\(language))"
                        seen[key] = (findings.count, 0)
                        findings.append(f)
                    }
                  }
                }
            }
        }
        for (_, s) in seen where s.count > 0 {
            findings[s.index].message.removeLast()
            findings[s.index].message += ", and \(s.count) more \(s.count == 1 ? "render" : "renders"))"
        }
    }

    /// The problems of one render, each at a place in a file: one found in the output and not placed in a template
    /// is at the campaign's line, with its place in the output.
    private func render(_ message: MessageTemplate, for user: UserMoment, _ delivery: DeliveryContent) -> [Diagnostic] {
        let campaign = message.campaign
        var out: [Diagnostic] = []
        func report(_ diagnostics: [Diagnostic]) {
            for var d in diagnostics {
                if d.file == nil { d = d.placed(at: SourceLocation(file: message.file, line: campaign.line, column: 1)) }
                out.append(d)
            }
        }
        func problem(_ severity: Diagnostic.Severity, _ code: String, _ text: String) {
            out.append(Diagnostic(severity, .output, code: code, text, file: message.file, line: campaign.line, column: 1))
        }
        // Rendered through the delivery pipeline, strict, whatever the decision says.
        var options = DeliveryOptions(depth: .winner(fallbacks: 0), renderRejected: true, strict: true)
        options.locateProblems = true
        let outcome = delivery.deliver(.message(message), to: user, history: InteractionHistory(), options: options)[0]
        switch outcome.output {
        case .email(let email, let htmlReport)?:
            report(htmlReport.diagnostics)
            if email.subject.isEmpty { problem(.error, "email-subject-empty", "the subject renders empty") }
            if !email.headers.contains(where: { $0.name == "List-Unsubscribe" }) {
                problem(.warning, "email-no-unsubscribe", "no unsubscribe address: set `unsubscribe` in email.yml or the front matter")
            } else if let unsubscribe = email.headers.first(where: { $0.name == "List-Unsubscribe" })?.value.dropFirst().dropLast(),
                      !email.html.contains(String(unsubscribe).replacingOccurrences(of: "&", with: "&amp;"))
            {
                problem(.warning, "email-no-unsubscribe-link", "the email has no unsubscribe link in its body; link to {{ unsubscribe_url }}")
            }
        case .block(let block)?:
            // A block that passes is served as it is; its report matters when it does not.
            if !block.report.isValid { report(block.report.diagnostics) }
        case .tour?:
            break
        case .fields(let fields)?:
            report(fields.diagnostics)
        case nil:
            for f in outcome.failures { report(f.diagnostics) }
        }
        return out
    }

    // MARK: Decisions

    /// Campaigns that can never win their placement: another with a higher priority (or the same, winning the tie
    /// by id), the same audience and at least the same stages, that is always eligible when they are (no trigger,
    /// schedule, time window, caps of its own or holdout). Dismissals and channel caps aside.
    private mutating func checkShadowing(_ content: ContentSet) {
        let campaigns = content.campaigns.filter { !$0.isDefault && $0.placement != nil }
        for b in campaigns {
            for a in campaigns where a.id != b.id && a.placement == b.placement {
                guard a.priority > b.priority || (a.priority == b.priority && a.id < b.id) else { continue }
                guard a.trigger == nil, a.window == nil, a.caps.isEmpty, a.holdout == 0,
                      a.schedule.start == nil, a.schedule.end == nil
                else { continue }
                let sameAudience = Self.definition(a.audience) == Self.definition(b.audience) || a.audience == nil
                let coversStages = a.stages == nil || Set(b.stages ?? content.stageRules.stages).isSubset(of: Set(a.stages!))
                guard sameAudience, coversStages else { continue }
                warn(b.file, b.line, 1, "never-wins", "campaign \"\(b.id)\" can never win \(b.placement!): \"\(a.id)\" (\(a.file), priority "
                    + "\(a.priority)) reaches the same users at the same stages and is always eligible when it is")
                break
            }
        }
    }

    private static func definition(_ audience: AudienceCondition?) -> String {
        audience.map { JSON.serialize($0.definition) } ?? ""
    }

    /// Placements of channels that expect a default (banners, tooltips) show nothing without one when no campaign
    /// is eligible. (A survey asks only when one is due, so it needs none.)
    private mutating func checkDefaults(_ content: ContentSet) {
        for placement in content.engine.placements where content.engine.placementDefault(for: placement) == nil {
            guard let first = content.campaigns.first(where: { $0.placement == placement }),
                  Channels.renderer(of: first.channel)?.rules.expectsDefault == true
            else { continue }
            warn(first.file, first.line, 1, "no-default", "placement \"\(placement)\" has no default (a campaign with `default: true`): "
                + "it shows nothing when no campaign is eligible")
        }
    }
}
