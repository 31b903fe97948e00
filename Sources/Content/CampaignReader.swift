import Foundation
import Liquid
import Localization
import Personalization

/// Reads the content model's pieces out of YAML, logging every problem at its line.
enum ContentReader {
    /// A campaign from a template's front matter (`fields`), or nil when it has errors.
    static func campaign(_ fields: YAMLFields, template: String, channels: [ChannelRules]) -> Campaign? {
        let log = fields.log
        let errorsBefore = log.issues.count
        let id = fields.string("campaign", required: true)
        var rules: ChannelRules?
        if let name = fields.string("channel", required: true) {
            rules = channels.first { $0.channel.rawValue == name }
            if rules == nil {
                var message = "unknown channel \"\(name)\"; use one of " + channels.map(\.channel.rawValue).sorted().joined(separator: ", ")
                if let near = Suggestion.closest(to: name, in: channels.map(\.channel.rawValue)) { message += " (did you mean \"\(near)\"?)" }
                log.error(at: fields.node("channel")!, message)
            }
        }
        let channel = rules?.channel
        if let node = fields.node("layout") {
            log.error(at: node, "front matter has no \"layout\": start the body with {% extends 'layouts/NAME' %} and fill its blocks")
        }
        let placement = fields.string("placement")
        if let channel, rules?.placement == .required, placement == nil {
            log.error(at: fields.node, "a \(channel.rawValue) needs a \"placement\" (the slot it fills)")
        }
        let stages = fields.strings("stages")
        var locales: [LocaleTag]?
        if let list = fields.strings("locales") {
            locales = []
            for text in list {
                do { locales?.append(try LocaleTag(parsing: text)) } catch { log.error(at: fields.node("locales")!, error.description) }
            }
        }
        let audience = fields.node("audience").flatMap { condition($0, log: log, what: "audience") }
        let priority = fields.int("priority") ?? 0
        var schedule = Schedule()
        if let node = fields.node("schedule"), let s = YAMLFields(node, log: log, what: "schedule") {
            schedule.start = s.node("start").flatMap { bound($0, log: log) }
            schedule.end = s.node("end").flatMap { bound($0, log: log) }
            s.reportUnknown(what: "schedule")
            if case .instant(let a)? = schedule.start, case .instant(let b)? = schedule.end, b <= a {
                log.error(at: node, "the schedule ends before it starts")
            }
            if case .localDate(let a)? = schedule.start, case .localDate(let b)? = schedule.end, b < a {
                log.error(at: node, "the schedule ends before it starts")
            }
        }
        let window = fields.node("window").flatMap { timeWindow($0, log: log) }
        let caps = fields.node("caps").map { frequencyCaps($0, log: log, scope: .campaign) } ?? []
        let exempt = fields.bool("exempt_from_channel_caps") ?? false
        let trigger = fields.node("trigger").flatMap { self.trigger($0, log: log) }
        let variants = fields.node("variants").map { self.variants($0, log: log) } ?? []
        var holdout = 0.0
        if let share = fields.number("holdout") {
            if share < 0 || share >= 1 { log.error(at: fields.node("holdout")!, "\"holdout\" is a share from 0 to below 1") }
            holdout = share
        }
        var dismissal = Dismissal.forever
        if let node = fields.node("dismissal"), let text = node.text {
            if text == "forever" {
                dismissal = .forever
            } else if let d = DurationText.parse(text), d > 0 {
                dismissal = .snooze(d)
            } else {
                log.error(at: node, "\"dismissal\" is \"forever\" or a snooze time such as 7d, up to \(DurationText.longestText)")
            }
        }
        let goals = fields.node("goals").map { self.goals($0, log: log) } ?? []
        let isDefault = fields.bool("default") ?? false
        if isDefault {
            if placement == nil { log.error(at: fields.node, "a placement default needs a \"placement\"") }
            for key in ["audience", "stages", "locales", "trigger", "holdout"] where fields.has(key) {
                log.error(at: fields.node(key)!, "a placement default is shown to anyone, so it cannot have \"\(key)\"")
            }
        }
        // The channel's own keys and the shared ones are known; another channel's key is named as such, not as a typo.
        for key in ChannelRules.sharedKeys.union(rules?.frontMatterKeys ?? []) { _ = fields.node(key) }
        if let rules {
            for key in fields.unusedKeys {
                guard let owner = channels.first(where: { $0.frontMatterKeys.contains(key) }) else { continue }
                log.error(at: fields.keyNode(key)!, "\"\(key)\" belongs to the \(owner.channel.rawValue) channel, not to a \(rules.channel.rawValue)")
                _ = fields.node(key)
            }
        }
        fields.reportUnknown(what: "front matter")

        guard log.issues.count == errorsBefore, let id, let channel else { return nil }
        guard case .object(let data) = fields.node.value else { return nil }
        var campaign = Campaign(id: id, template: template, channel: channel, placement: placement, stages: stages,
                        audience: audience, priority: priority, schedule: schedule, window: window, caps: caps,
                        exemptFromChannelCaps: exempt, trigger: trigger, variants: variants, holdout: holdout,
                        dismissal: dismissal, isDefault: isDefault, data: data, file: log.file, line: fields.node.line)
        campaign.locales = locales
        campaign.goals = goals
        return campaign
    }

    /// `goals: { primary: GOAL, secondary: [GOAL...] }`, a goal being an event name or
    /// `{ event, name, where, within, value }`.
    static func goals(_ node: YAMLNode, log: IssueLog) -> [Goal] {
        guard let f = YAMLFields(node, log: log, what: "goals") else { return [] }
        var out: [Goal] = []
        if let primary = f.node("primary") {
            if let g = goal(primary, primary: true, log: log) { out.append(g) }
        } else {
            log.error(at: node, "\"goals\" needs a \"primary\" goal (the one the experiment is judged on)")
        }
        if let secondary = f.node("secondary") {
            if case .sequence(let items) = secondary.kind {
                for item in items {
                    guard let g = goal(item, primary: false, log: log) else { continue }
                    if out.contains(where: { $0.name == g.name }) {
                        log.error(at: item, "two goals are named \"\(g.name)\": give this one a \"name\"")
                    } else {
                        out.append(g)
                    }
                }
            } else {
                log.error(at: secondary, "\"secondary\" is a list of goals")
            }
        }
        f.reportUnknown(what: "goals")
        return out
    }

    private static func goal(_ node: YAMLNode, primary: Bool, log: IssueLog) -> Goal? {
        if let event = node.text {
            guard !event.isEmpty else {
                log.error(at: node, "a goal names an event")
                return nil
            }
            return Goal(event: event, isPrimary: primary)
        }
        guard let f = YAMLFields(node, log: log, what: "a goal") else { return nil }
        let before = log.issues.count
        let event = f.string("event", required: true)
        let name = f.string("name")
        let condition = f.node("where").flatMap { self.condition($0, log: log, what: "the goal's \"where\"") }
        var within = Goal.defaultWindow
        if let d = duration(f, "within") {
            // Longer than DurationText.longest is not a duration (the error says so).
            if d > 0 { within = d } else {
                log.error(at: f.node("within")!, "\"within\" is a time above zero and up to \(DurationText.longestText), such as 7d")
            }
        }
        var measure = Goal.Measure.conversion
        if let valueNode = f.node("value") {
            let parts = valueNode.text?.split(separator: ".", omittingEmptySubsequences: false).map(String.init) ?? []
            if parts.count >= 2, parts[0] == "properties", parts.dropFirst().allSatisfy({ !$0.isEmpty }) {
                measure = .value(Array(parts.dropFirst()))
            } else {
                log.error(at: valueNode, "\"value\" names a number in the event's properties, such as properties.amount")
            }
        }
        f.reportUnknown(what: "a goal")
        guard let event, log.issues.count == before else { return nil }
        return Goal(name: name, event: event, condition: condition, within: within, measure: measure, isPrimary: primary)
    }

    /// A condition: a mapping whose operators are all known.
    static func condition(_ node: YAMLNode, log: IssueLog, what: String) -> AudienceCondition? {
        guard case .mapping = node.kind else {
            log.error(at: node, "\(what) must be a condition mapping (\"plan: pro\", \"orders: { $gte: 3 }\")")
            return nil
        }
        let before = log.issues.count
        checkOperators(node, log: log)
        return log.issues.count == before ? AudienceCondition(node.value) : nil
    }

    private static func checkOperators(_ node: YAMLNode, log: IssueLog) {
        switch node.kind {
        case .mapping(let pairs):
            for pair in pairs {
                if let key = pair.key.text, key.hasPrefix("$"), !AudienceCondition.operators.contains(key) {
                    var message = "unknown condition operator \"\(key)\""
                    if let near = Suggestion.closest(to: key, in: AudienceCondition.operators) { message += " (did you mean \"\(near)\"?)" }
                    log.error(at: pair.key, message)
                }
                if pair.key.text == "$regex" || pair.key.text == "$regexi", let pattern = pair.value.text,
                   (try? NSRegularExpression(pattern: pattern)) == nil
                {
                    log.error(at: pair.value, "invalid regular expression \"\(pattern)\"")
                }
                checkOperators(pair.value, log: log)
            }
        case .sequence(let items):
            items.forEach { checkOperators($0, log: log) }
        case .scalar:
            break
        }
    }

    static func bound(_ node: YAMLNode, log: IssueLog) -> Schedule.Bound? {
        guard let text = node.text, let bound = Schedule.bound(text) else {
            log.error(at: node, "expected a date (2026-11-27) or a time (2026-11-27T08:00:00Z)")
            return nil
        }
        return bound
    }

    static func timeWindow(_ node: YAMLNode, log: IssueLog) -> TimeWindow? {
        guard let f = YAMLFields(node, log: log, what: "window") else { return nil }
        let from = f.node("from")
        let to = f.node("to")
        let days = f.strings("days")
        f.reportUnknown(what: "window")
        guard let from, let to else {
            log.error(at: node, "a window needs \"from\" and \"to\" (\"09:00\")")
            return nil
        }
        guard let a = from.text.flatMap(TimeWindow.minutes) else {
            log.error(at: from, "expected a time of day such as \"09:00\"")
            return nil
        }
        guard let b = to.text.flatMap(TimeWindow.minutes) else {
            log.error(at: to, "expected a time of day such as \"21:00\"")
            return nil
        }
        var daySet: Set<Int>?
        if let days {
            var set = Set<Int>()
            for day in days {
                guard let i = TimeWindow.weekdayNames.firstIndex(of: String(day.lowercased().prefix(3))) else {
                    log.error(at: f.node("days")!, "unknown weekday \"\(day)\"")
                    return nil
                }
                set.insert(i)
            }
            daySet = set
        }
        return TimeWindow(from: a, to: b % 1440 == 0 && b > 0 ? 1440 : b, days: daySet)
    }

    /// `[{ max: 3, per: week }]` or one mapping; `per` is `day`, `week` or a rolling duration (`24h`, `7d`).
    static func frequencyCaps(_ node: YAMLNode, log: IssueLog, scope: FrequencyCap.Scope) -> [FrequencyCap] {
        let items: [YAMLNode]
        if case .sequence(let list) = node.kind { items = list } else { items = [node] }
        return items.compactMap { item in
            guard let f = YAMLFields(item, log: log, what: "a cap") else { return nil }
            let max = f.int("max")
            let per = f.string("per")
            f.reportUnknown(what: "a cap")
            guard let max, max >= 0 else {
                log.error(at: item, "a cap needs \"max\", a whole number of messages")
                return nil
            }
            guard max <= FrequencyCap.largestMax else {
                log.error(at: f.node("max")!, "a cap counts at most \(FrequencyCap.largestMax) messages (the newest \(FrequencyCap.largestMax) of each campaign are what deciding reads); for no cap, leave it out")
                return nil
            }
            let period: FrequencyCap.Period
            switch per {
            case "day": period = .day
            case "week": period = .week
            case let text?:
                guard let d = DurationText.parse(text), d > 0 else {
                    log.error(at: f.node("per")!, "\"per\" is day, week, or a rolling duration such as 24h or 7d, up to \(DurationText.longestText)")
                    return nil
                }
                period = .rolling(d)
            case nil:
                log.error(at: item, "a cap needs \"per\": day, week, or a rolling duration such as 24h")
                return nil
            }
            return FrequencyCap(max: max, per: period, scope: scope)
        }
    }

    static func trigger(_ node: YAMLNode, log: IssueLog) -> Trigger? {
        guard let f = YAMLFields(node, log: log, what: "trigger") else { return nil }
        let before = log.issues.count
        let event = f.string("event", required: true)
        let condition = f.node("where").flatMap { self.condition($0, log: log, what: "the trigger's \"where\"") }
        let delay = duration(f, "delay") ?? 0
        let exceptions = f.strings("unless") ?? []
        let expiry = duration(f, "expires") ?? Trigger.defaultExpiry
        f.reportUnknown(what: "trigger")
        if expiry <= delay { log.error(at: node, "the trigger expires before it is due (expires must be longer than delay)") }
        guard let event, log.issues.count == before else { return nil }
        return Trigger(event: event, condition: condition, delay: delay, exceptions: exceptions, expiry: expiry)
    }

    private static func duration(_ f: YAMLFields, _ key: String) -> TimeInterval? {
        guard let node = f.node(key) else { return nil }
        guard let text = node.text, let d = DurationText.parse(text) else {
            f.log.error(at: node, "\"\(key)\" is a duration such as 30m, 2h or 3d, up to \(DurationText.longestText)")
            return nil
        }
        return d
    }

    static func variants(_ node: YAMLNode, log: IssueLog) -> [Variant] {
        guard case .sequence(let items) = node.kind, !items.isEmpty else {
            log.error(at: node, "\"variants\" is a list of { key, weight }")
            return []
        }
        var out: [Variant] = []
        for item in items {
            if let key = item.text {
                out.append(Variant(key: key))
                continue
            }
            guard let f = YAMLFields(item, log: log, what: "a variant") else { continue }
            let key = f.string("key", required: true)
            let weight = f.number("weight") ?? 1
            f.reportUnknown(what: "a variant")
            if weight <= 0 { log.error(at: item, "a variant's weight must be above 0") }
            if let key {
                if out.contains(where: { $0.key == key }) { log.error(at: item, "variant \"\(key)\" is listed twice") }
                out.append(Variant(key: key, weight: weight))
            }
        }
        let total = out.reduce(0) { $0 + $1.weight }
        return total > 0 ? out.map { Variant(key: $0.key, weight: $0.weight / total) } : out
    }
}
