import Foundation
import Liquid
import Localization

/// Where a message is shown: a channel's name (`banner`, `email`, `push`). Which channels exist, and what their
/// front matter holds, is up to the channels the delivery layer registers; the core only keeps them apart (caps per
/// channel, interactions by channel).
public struct Channel: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// A channel name: 1 to 32 lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
    public init?(rawValue: String) {
        let bytes = rawValue.utf8
        guard let first = bytes.first, first >= 0x61 && first <= 0x7A, bytes.count <= 32,
              bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (a: Channel, b: Channel) -> Bool { a.rawValue < b.rawValue }
}

/// One message with its rules, read from a template's front matter.
///
/// ```yaml
/// campaign: cart-rescue
/// channel: email
/// stages: [revenue]
/// audience: { facts.order_count: { $gte: 1 } }
/// priority: 80
/// window: { from: "09:00", to: "21:00" }
/// caps: [{ max: 1, per: week }]
/// trigger: { event: cart_abandoned, where: { value: { $gt: 100 } }, delay: 30m, unless: [purchase], expires: 3d }
/// variants: [{ key: plain, weight: 1 }, { key: story, weight: 1 }]
/// holdout: 0.1
/// goals:
///   primary: { event: purchase, value: properties.amount, within: 7d }
/// ```
public struct Campaign: Sendable {
    // The fields live in one object that copies share until one of them is changed (copy on write): a campaign is
    // copied into every decision, render and answer that names it, and each copy is then one reference counted,
    // not one per field, on objects every request's thread touches.
    private struct Fields {
        var id: String
        var template: String
        var channel: Channel
        var placement: String?
        var stages: [String]?
        var locales: [LocaleTag]?
        var audience: AudienceCondition?
        var priority: Int
        var schedule: Schedule
        var window: TimeWindow?
        var caps: [FrequencyCap]
        var exemptFromChannelCaps: Bool
        var trigger: Trigger?
        var variants: [Variant]
        var holdout: Double
        var dismissal: Dismissal
        var goals: [Goal]
        var isDefault: Bool
        var data: LiquidObject
        var file: String
        var line: Int
    }

    private final class Box: @unchecked Sendable {  // changed only while uniquely referenced (see unique())
        var fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    /// The box, this campaign's own from now on (copied first when another campaign shares it).
    private mutating func unique() -> Box {
        if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
        return box
    }

    public var id: String {
        get { box.fields.id }
        set { unique().fields.id = newValue }
    }
    /// The template that renders it (its file name without `.liquid`).
    public var template: String {
        get { box.fields.template }
        set { unique().fields.template = newValue }
    }
    public var channel: Channel {
        get { box.fields.channel }
        set { unique().fields.channel = newValue }
    }
    /// The slot it fills (`home-hero`); emails and tours may have none.
    public var placement: String? {
        get { box.fields.placement }
        set { unique().fields.placement = newValue }
    }
    /// The stages it is for; nil means every stage.
    public var stages: [String]? {
        get { box.fields.stages }
        set { unique().fields.stages = newValue }
    }
    /// The languages it is written in (`locales: [fr, ar]`): a user served in another is not sent it half
    /// translated; nil means every language.
    public var locales: [LocaleTag]? {
        get { box.fields.locales }
        set { unique().fields.locales = newValue }
    }
    public var audience: AudienceCondition? {
        get { box.fields.audience }
        set { unique().fields.audience = newValue }
    }
    /// Higher wins.
    public var priority: Int {
        get { box.fields.priority }
        set { unique().fields.priority = newValue }
    }
    public var schedule: Schedule {
        get { box.fields.schedule }
        set { unique().fields.schedule = newValue }
    }
    /// The hours of the user's day (and days of their week) it may be shown or sent in.
    public var window: TimeWindow? {
        get { box.fields.window }
        set { unique().fields.window = newValue }
    }
    /// Its own caps (scope `.campaign`).
    public var caps: [FrequencyCap] {
        get { box.fields.caps }
        set { unique().fields.caps = newValue }
    }
    /// Not counted against, nor stopped by, the channel's caps (its own caps still hold).
    public var exemptFromChannelCaps: Bool {
        get { box.fields.exemptFromChannelCaps }
        set { unique().fields.exemptFromChannelCaps = newValue }
    }
    public var trigger: Trigger? {
        get { box.fields.trigger }
        set { unique().fields.trigger = newValue }
    }
    public var variants: [Variant] {
        get { box.fields.variants }
        set { unique().fields.variants = newValue }
    }
    /// The share of users (0 to 1) held out: they never get it, to measure what it changes.
    public var holdout: Double {
        get { box.fields.holdout }
        set { unique().fields.holdout = newValue }
    }
    public var dismissal: Dismissal {
        get { box.fields.dismissal }
        set { unique().fields.dismissal = newValue }
    }
    /// What it is meant to make people do, the primary goal first (see ``Goal``).
    public var goals: [Goal] {
        get { box.fields.goals }
        set { unique().fields.goals = newValue }
    }
    /// The placement's fallback: shown when no other campaign is eligible (targeting rules do not apply to it).
    public var isDefault: Bool {
        get { box.fields.isDefault }
        set { unique().fields.isDefault = newValue }
    }
    /// The whole front matter, for templates (`campaign.subject`...).
    public var data: LiquidObject {
        get { box.fields.data }
        set { unique().fields.data = newValue }
    }
    /// Where the front matter starts, for reports.
    public var file: String {
        get { box.fields.file }
        set { unique().fields.file = newValue }
    }
    public var line: Int {
        get { box.fields.line }
        set { unique().fields.line = newValue }
    }

    public init(id: String, template: String, channel: Channel, placement: String? = nil, stages: [String]? = nil,
                audience: AudienceCondition? = nil, priority: Int = 0, schedule: Schedule = Schedule(),
                window: TimeWindow? = nil, caps: [FrequencyCap] = [], exemptFromChannelCaps: Bool = false,
                trigger: Trigger? = nil, variants: [Variant] = [], holdout: Double = 0, dismissal: Dismissal = .forever,
                isDefault: Bool = false, data: LiquidObject = LiquidObject(), file: String = "", line: Int = 1)
    {
        box = Box(Fields(id: id, template: template, channel: channel, placement: placement, stages: stages, locales: nil,
                         audience: audience, priority: priority, schedule: schedule, window: window, caps: caps,
                         exemptFromChannelCaps: exemptFromChannelCaps, trigger: trigger, variants: variants,
                         holdout: holdout, dismissal: dismissal, goals: [], isDefault: isDefault, data: data, file: file,
                         line: line))
    }
}

/// What a campaign is meant to make people do, measured per user after their exposure to it (their first
/// impression or send of it, or for a holdout user the moment it would have been): an event (with a condition on its
/// properties, as triggers have), within a time after exposure, counted as a conversion (did it happen) or as a value
/// summed per user (`value: properties.amount`, for revenue).
///
/// ```yaml
/// goals:
///   primary: { event: plan_upgraded, within: 14d }
///   secondary:
///     - { name: revenue, event: purchase, where: { currency: EUR }, value: properties.amount }
/// ```
public struct Goal: Sendable {
    public enum Measure: Sendable, Equatable {
        /// Whether the event happened (at least once) within the window.
        case conversion
        /// The sum of a number in the event's properties (the path below `properties`), over the window's events.
        case value([String])
    }

    /// Unique within the campaign; the event's name unless given.
    public var name: String
    public var event: String
    /// A condition on the event's properties.
    public var condition: AudienceCondition?
    /// How long after exposure an event counts.
    public var within: TimeInterval
    public var measure: Measure
    public var isPrimary: Bool

    public static let defaultWindow: TimeInterval = 7 * 86_400

    public init(name: String? = nil, event: String, condition: AudienceCondition? = nil,
                within: TimeInterval = Goal.defaultWindow, measure: Measure = .conversion, isPrimary: Bool = false)
    {
        self.name = name ?? event
        self.event = event
        self.condition = condition
        self.within = within
        self.measure = measure
        self.isPrimary = isPrimary
    }

    /// What `event` adds to this goal for a user exposed at `exposure`: nil when it does not count (another event,
    /// the condition not met, before exposure or after the window), 1 for a conversion, the property's number for a
    /// value (0 when the property is missing or not a number).
    public func contribution(of event: Event, exposedAt exposure: Date) -> Double? {
        guard event.name == self.event, event.time >= exposure,
              event.time.timeIntervalSince(exposure) <= within
        else { return nil }
        if let condition, !condition.matches(.object(event.properties)) { return nil }
        switch measure {
        case .conversion:
            return 1
        case .value(let path):
            guard let first = path.first, var value = event.properties[first] else { return 0 }
            for key in path.dropFirst() {
                guard case .object(let o) = value, let next = o[key] else { return 0 }
                value = next
            }
            switch value {
            case .int(let n): return Double(n)
            case .double(let d): return d.isFinite ? d : 0
            case .string(let s): return Double(s).flatMap { $0.isFinite ? $0 : nil } ?? 0
            default: return 0
            }
        }
    }
}

/// One arm of an experiment.
public struct Variant: Sendable, Equatable {
    public var key: String
    public var weight: Double

    public init(key: String, weight: Double = 1) {
        self.key = key
        self.weight = weight
    }
}

/// What a dismissal means: never again, or not for a while.
public enum Dismissal: Sendable, Equatable {
    case forever
    case snooze(TimeInterval)
}

/// The dates a campaign runs between. A bound is an instant (`2026-11-27T08:00:00Z`) or a calendar date
/// (`2026-11-27`) read in the user's own zone, the end date included.
public struct Schedule: Sendable, Equatable {
    public enum Bound: Sendable, Equatable {
        case instant(Date)
        /// `yyyy-MM-dd`, compared with the user's local date.
        case localDate(String)
    }

    public var start: Bound?
    public var end: Bound?

    public init(start: Bound? = nil, end: Bound? = nil) {
        self.start = start
        self.end = end
    }

    /// Whether `now` (the user's local date being `localDate`) is inside.
    public func contains(_ now: Date, localDate: String) -> Bool {
        switch start {
        case .instant(let d)?: if now < d { return false }
        case .localDate(let d)?: if localDate < d { return false }
        case nil: break
        }
        switch end {
        case .instant(let d)?: if now >= d { return false }
        case .localDate(let d)?: if localDate > d { return false }
        case nil: break
        }
        return true
    }

    public static func bound(_ text: String) -> Bound? {
        if let date = Timestamp.parse(text) { return .instant(date) }
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), y > 0, (1...12).contains(m),
              (1...31).contains(d)
        else { return nil }
        return .localDate(text)
    }
}

/// Hours of the user's day, and optionally days of their week: `from: "09:00", to: "21:00"`. A window whose end is
/// before its start runs over midnight (`22:00` to `06:00`); the weekday is the one the user is in.
public struct TimeWindow: Sendable, Equatable, CustomStringConvertible {
    /// Minutes after local midnight; `from` included, `to` excluded.
    public var from: Int
    public var to: Int
    /// 0 = Sunday ... 6 = Saturday; nil = every day.
    public var days: Set<Int>?

    public init(from: Int, to: Int, days: Set<Int>? = nil) {
        self.from = from
        self.to = to
        self.days = days
    }

    public func contains(minuteOfDay m: Int, weekday: Int) -> Bool {
        if let days, !days.contains(weekday) { return false }
        if from == to { return true }
        return from < to ? (m >= from && m < to) : (m >= from || m < to)
    }

    public static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440
        else { return nil }
        return h * 60 + m
    }

    static func clock(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    public var description: String {
        var text = "\(Self.clock(from))-\(Self.clock(to))"
        if let days { text += " on " + days.sorted().map { Self.weekdayNames[$0] }.joined(separator: ",") }
        return text
    }
}

/// At most `max` messages per `period`, counted per campaign or per channel.
public struct FrequencyCap: Sendable, Equatable, CustomStringConvertible {
    /// The largest `max` a cap may have: deciding reads the newest this many interactions of each campaign and kind
    /// (``InteractionHistory/depth``), which is all any cap can count.
    public static let largestMax = 1000

    public enum Period: Sendable, Equatable {
        /// The user's calendar day (from local midnight).
        case day
        /// The user's calendar week (from Monday, local midnight).
        case week
        /// The last so many seconds (an impression exactly that long ago no longer counts).
        case rolling(TimeInterval)

        var isRolling: Bool {
            if case .rolling = self { return true }
            return false
        }
    }

    public enum Scope: Sendable, Equatable {
        case campaign
        case channel(Channel)
        /// Every channel together.
        case all
    }

    public var max: Int
    public var period: Period
    public var scope: Scope

    public init(max: Int, per period: Period, scope: Scope = .campaign) {
        self.max = max
        self.period = period
        self.scope = scope
    }

    public var description: String {
        let per: String
        switch period {
        case .day: per = "calendar day"
        case .week: per = "calendar week"
        case .rolling(let s): per = DurationText.format(s) + " (rolling)"
        }
        let whose: String
        switch scope {
        case .campaign: whose = "for this campaign"
        case .channel(let c): whose = "for \(c.rawValue) messages"
        case .all: whose = "for all messages"
        }
        return "\(max) per \(per) \(whose)"
    }
}

/// A message answering an event: due `delay` after the latest matching event, cancelled by any `unless` event
/// since, no longer due `expires` after it, and sent once per occurrence.
public struct Trigger: Sendable {
    public var event: String
    /// A condition on the event's properties (`{ value: { $gt: 100 } }`).
    public var condition: AudienceCondition?
    public var delay: TimeInterval
    public var exceptions: [String]
    public var expiry: TimeInterval

    public static let defaultExpiry: TimeInterval = 7 * 86_400

    public init(event: String, condition: AudienceCondition? = nil, delay: TimeInterval = 0, exceptions: [String] = [],
                expiry: TimeInterval = Trigger.defaultExpiry)
    {
        self.event = event
        self.condition = condition
        self.delay = delay
        self.exceptions = exceptions
        self.expiry = expiry
    }
}

/// Durations as content writes them: `90s`, `30m`, `2h`, `3d`, `1w`, up to ``longest``.
public enum DurationText {
    /// The longest duration content may give (`3650d`, ten years): longer than any window, snooze, cap or trigger
    /// means, and far inside what dates and whole seconds can hold (`1e300s` once stopped the process where a cap
    /// was described).
    public static let longest: TimeInterval = 3_650 * 86_400
    /// How content writes ``longest``.
    public static let longestText = "3650d"

    /// The duration, or nil when it is not one or is longer than ``longest``.
    public static func parse(_ text: String) -> TimeInterval? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last, let n = Double(t.dropLast()), n >= 0, n.isFinite else { return nil }
        let seconds: TimeInterval
        switch unit {
        case "s": seconds = n
        case "m": seconds = n * 60
        case "h": seconds = n * 3600
        case "d": seconds = n * 86_400
        case "w": seconds = n * 7 * 86_400
        default: return nil
        }
        return seconds <= longest ? seconds : nil
    }

    public static func format(_ seconds: TimeInterval) -> String {
        // Whole units only where they are whole numbers an Int holds; anything else as seconds, as written.
        guard seconds.isFinite, seconds.magnitude < 1e15 else { return "\(seconds)s" }
        for (unit, size) in [("w", 604_800.0), ("d", 86_400.0), ("h", 3600.0), ("m", 60.0)]
        where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            return "\(Int(seconds / size))\(unit)"
        }
        return seconds == seconds.rounded(.towardZero) ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
