import Foundation
import Liquid
import Localization

/// A user at one moment, worked out once and used for every placement of a request: their facts, stage, the
/// attributes conditions read, and their local calendar. Immutable, and shared by reference: every decision, render
/// and closure that takes it holds one pointer, not a copy of the profile and facts.
public final class UserMoment: Sendable {
    public let profile: Profile
    public let now: Date
    public let facts: Facts
    public let stage: StageDecision
    public let context: LiquidObject
    /// The language to speak to them in: the request's (a page's language, `Accept-Language`), else their profile's;
    /// nil for the content's default.
    public let locale: LocaleTag?
    /// What conditions read, path by path.
    let source: UserAttributes
    var clock: LocalClock { facts.clock }

    public init(profile: Profile, now: Date, stageRules: StageRules, statedStage: String? = nil,
                context: LiquidObject = LiquidObject(), locale: LocaleTag? = nil)
    {
        self.profile = profile
        self.now = now
        self.context = context
        self.locale = locale ?? profile.locale
        let facts = Facts(profile: profile, now: now)
        self.facts = facts
        // Stage rules see everything but the stage; campaigns see the stage too.
        let stage = stageRules.stage(from: UserAttributes(profile: profile, facts: facts, stage: nil, context: context),
                                     stated: statedStage)
        self.stage = stage
        self.source = UserAttributes(profile: profile, facts: facts, stage: stage.stage, context: context)
    }

    /// `{user, facts, stage, context}` as one document (built on each call: templates and traces use it).
    public var attributes: Value {
        TargetingAttributes.make(profile: profile, facts: facts, stage: stage.stage, context: context)
    }

    /// Where the period a cap counts began: local midnight today, or on Monday, in the user's zone.
    func start(of period: FrequencyCap.Period) -> Date {
        switch period {
        case .day: return localMidnight(daysBack: 0)
        case .week: return localMidnight(daysBack: (clock.weekday + 6) % 7)
        case .rolling(let seconds): return now.addingTimeInterval(-seconds)
        }
    }

    /// Local midnight `daysBack` days ago: plain arithmetic when the zone's offset is the same then as now, the
    /// calendar's answer when a daylight-saving change lies between (or midnight itself was skipped).
    private func localMidnight(daysBack: Int) -> Date {
        let guess = Date(timeIntervalSince1970: Double((clock.days - daysBack) * 86_400 - clock.offset))
        if profile.timeZone.secondsFromGMT(for: guess) == clock.offset { return guess }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = profile.timeZone
        let today = calendar.startOfDay(for: now)
        return calendar.date(byAdding: .day, value: -daysBack, to: today).map { calendar.startOfDay(for: $0) } ?? today
    }
}

/// Picks the one message for a placement (or decides whether an email goes out), deterministically, with a trace
/// of every candidate. Immutable once made, and shared by reference: each request's delivery reads it from the
/// content loaded without copying its tables.
///
/// ```swift
/// let engine = DecisionEngine(campaigns: content.campaigns, stageRules: content.stageRules)
/// let user = UserMoment(profile: profile, now: .now, stageRules: engine.stageRules)
/// let decision = engine.decide(placement: "home-hero", for: user, history: try await ledger.history(userId: profile.id))
/// decision.selection?.campaign.template   // "banners/win-back"
/// ```
public final class DecisionEngine: Sendable {
    /// Campaigns kept once, by reference, so arbitration passes pointers rather than copying big structs.
    /// The rules are copied out of the campaign so that checking one reads fields, not a whole struct.
    final class Entry: Sendable {
        let campaign: Campaign
        /// Its place in ``DecisionEngine/campaigns``.
        let number: Int
        let id: String
        let priority: Int
        let channel: Channel
        /// Nil when the campaign always runs.
        let schedule: Schedule?
        let stages: [String]?
        let locales: [LocaleTag]?
        let audience: AudienceCondition?
        let trigger: Trigger?
        let window: TimeWindow?
        let caps: [FrequencyCap]
        let exemptFromChannelCaps: Bool
        let dismissal: Dismissal
        let holdout: Double
        /// The holdout's hash seed, made once.
        let holdoutSeed: String
        /// Its trigger's place in a decision's firings: campaigns whose triggers wait for the same event under
        /// the same condition and exceptions share one look through the user's events per decision. -1 without one.
        let triggerSlot: Int

        init(_ c: Campaign, number: Int, triggerSlot: Int, sharing: inout ConditionSharing) {
            campaign = c
            self.number = number
            id = c.id
            priority = c.priority
            channel = c.channel
            schedule = c.schedule.start == nil && c.schedule.end == nil ? nil : c.schedule
            stages = c.stages
            locales = c.locales
            // Compiled again with the other campaigns' conditions, so tests they have in common run once.
            audience = c.audience.map { AudienceCondition($0.definition, sharing: &sharing) }
            trigger = c.trigger
            window = c.window
            caps = c.caps
            exemptFromChannelCaps = c.exemptFromChannelCaps
            dismissal = c.dismissal
            holdout = c.holdout
            holdoutSeed = c.id + ":holdout"
            self.triggerSlot = triggerSlot
        }
    }

    public let campaigns: [Campaign]
    public let stageRules: StageRules
    /// Caps over channels (`.channel`) or everything (`.all`).
    public let channelCaps: [FrequencyCap]
    /// Candidates per placement and per template, in rank order; defaults apart.
    private let byPlacement: [String: [Entry]]
    private let byTemplate: [String: Entry]
    private let defaults: [String: Entry]
    private let exempt: Set<String>
    private let numbers: StringTable
    /// How many distinct trigger firings (event, condition, exceptions) the campaigns wait for.
    private let firings: Int
    /// How many distinct field tests the campaigns' audiences have.
    private let conditionTests: Int

    /// The content's languages: a campaign limited to some is checked against the locale the user is served in.
    public let translations: Translations

    public init(campaigns: [Campaign], stageRules: StageRules, channelCaps: [FrequencyCap] = [],
                translations: Translations = .none)
    {
        self.campaigns = campaigns
        self.translations = translations
        self.stageRules = stageRules
        self.channelCaps = channelCaps
        var slots: [[UInt8]: Int] = [:]
        var firings = 0
        var sharing = ConditionSharing()
        var ranked: [Entry] = []
        for pair in campaigns.enumerated().sorted(by: { x, y in
            x.element.priority != y.element.priority ? x.element.priority > y.element.priority : x.element.id < y.element.id
        }) {
            var slot = -1
            if let t = pair.element.trigger {
                let key = ExactKey.of([.string(t.event), .bool(t.condition != nil), t.condition?.definition ?? .null,
                                       .array(t.exceptions.map(Value.string))])
                if let key, let shared = slots[key] {
                    slot = shared
                } else {
                    slot = firings
                    firings += 1
                    if let key { slots[key] = slot }
                }
            }
            ranked.append(Entry(pair.element, number: pair.offset, triggerSlot: slot, sharing: &sharing))
        }
        self.firings = firings
        self.conditionTests = sharing.count
        self.numbers = StringTable(campaigns.map(\.id))
        var byPlacement: [String: [Entry]] = [:]
        var defaults: [String: Entry] = [:]
        for e in ranked {
            guard let placement = e.campaign.placement else { continue }
            if e.campaign.isDefault {
                if defaults[placement] == nil { defaults[placement] = e }
            } else {
                byPlacement[placement, default: []].append(e)
            }
        }
        self.byPlacement = byPlacement
        self.defaults = defaults
        var byTemplate: [String: Entry] = [:]
        for e in ranked where byTemplate[e.campaign.template] == nil { byTemplate[e.campaign.template] = e }
        self.byTemplate = byTemplate
        self.exempt = Set(campaigns.filter(\.exemptFromChannelCaps).map(\.id))
    }

    /// The placements campaigns fill, sorted.
    public var placements: [String] { Set(byPlacement.keys).union(defaults.keys).sorted() }

    /// Whether some campaign (or a default) fills `placement`.
    public func fills(_ placement: String) -> Bool { byPlacement[placement] != nil || defaults[placement] != nil }

    public func campaign(forTemplate template: String) -> Campaign? { byTemplate[template]?.campaign }

    /// The campaigns competing for `placement`, best ranked first (the default apart).
    public func candidates(for placement: String) -> [Campaign] { (byPlacement[placement] ?? []).map(\.campaign) }

    public func placementDefault(for placement: String) -> Campaign? { defaults[placement]?.campaign }

    /// How far arbitration goes.
    public enum Depth: Sendable {
        /// Every candidate is checked: the trace gives each one's reason, and every eligible one is a fallback.
        case full
        /// Candidates are checked in rank order up to `fallbacks` eligible ones after the winner; those ranked below
        /// are traced as ``Rejection/notChecked`` (they lost to a higher priority whatever their own rules say).
        case winner(fallbacks: Int)
    }

    /// The winner for `placement`; nil selection when no campaign may be shown.
    public func decide(placement: String, for user: UserMoment, history: InteractionHistory, depth: Depth = .full) -> Decision {
        decide(target: placement, candidates: byPlacement[placement] ?? [], default: defaults[placement], user: user,
               history: index(history, user), taken: [:], depth: depth)
    }

    /// Whether the email `template` goes to the user now: the same rules, one candidate.
    public func decide(template: String, for user: UserMoment, history: InteractionHistory) -> Decision {
        decide(target: template, candidates: byTemplate[template].map { [$0] } ?? [], default: nil, user: user,
               history: index(history, user), taken: [:], depth: .full)
    }

    /// Several placements of one page: a campaign fills one slot at most, and each winner counts against the caps
    /// of the slots decided after it (in the order given).
    public func decide(placements: [String], for user: UserMoment, history: InteractionHistory,
                       depth: Depth = .full) -> [Decision]
    {
        var history = history
        var taken: [String: String] = [:]
        var decisions: [Decision] = []
        for placement in placements {
            let d = decide(target: placement, candidates: byPlacement[placement] ?? [], default: defaults[placement],
                           user: user, history: index(history, user), taken: taken, depth: depth)
            if let s = d.selection {
                taken[s.campaign.id] = placement
                history.append(Interaction(userId: user.profile.id, campaign: s.campaign.id, channel: s.campaign.channel,
                                           kind: .impression, time: user.now, variant: s.variant, placement: placement))
            }
            decisions.append(d)
        }
        return decisions
    }

    private func index(_ history: InteractionHistory, _ user: UserMoment) -> HistoryIndex {
        HistoryIndex(history, now: user.now, campaignCount: campaigns.count, number: { numbers[$0] }, exempt: exempt,
                     channelCaps: !channelCaps.isEmpty)
    }

    private func decide(target: String, candidates: [Entry], default fallbackEntry: Entry?, user: UserMoment,
                        history: HistoryIndex, taken: [String: String], depth: Depth) -> Decision
    {
        var scratch = Scratch(firings: firings, conditionTests: conditionTests)
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(candidates.count)
        var winner: Int?
        var eligible = 0
        var wanted = Int.max
        if case .winner(let fallbacks) = depth { wanted = 1 + max(0, fallbacks) }
        var details = Decision.Details()
        for (i, c) in candidates.enumerated() {
            if eligible >= wanted {
                verdicts.append(.notChecked)
                continue
            }
            let verdict: Verdict?
            if !taken.isEmpty, taken[c.id] != nil {
                verdict = .filledAnotherSlot
                if details.taken.isEmpty { details.taken = taken }
            } else {
                verdict = check(c, user: user, history: history, &scratch)
            }
            if let verdict {
                switch verdict {
                case .outsideTimeWindow: details.localTime = user.facts.localTime
                case .wrongLocale: details.servedLocale = servedLocale(of: user).identifier
                case .channelCapped: details.channelCaps = channelCaps
                default: break
                }
                verdicts.append(verdict)
            } else {
                eligible += 1
                if winner == nil {
                    winner = i
                    verdicts.append(.chosen)
                } else {
                    verdicts.append(.lowerPriority)
                }
            }
        }
        let fallback = fallbackEntry.map { Selection(entry: $0, userId: user.profile.id) }
        return Decision(target: target, stage: user.stage, candidates: candidates, verdicts: verdicts, winner: winner,
                        userId: user.profile.id, details: details, placementDefault: fallback)
    }

    /// The locale the content speaks to `user` in: theirs (or the default) as the translations resolve it.
    private func servedLocale(of user: UserMoment) -> LocaleTag {
        translations.resolve(user.locale ?? translations.defaultLocale)
    }

    /// The first rule `campaign` fails for the user now, in the documented order, or nil when it may be shown.
    private func check(_ c: Entry, user: UserMoment, history: HistoryIndex, _ scratch: inout Scratch) -> Verdict? {
        let now = user.now
        if let schedule = c.schedule, !schedule.contains(now, localDate: user.facts.localDate) { return .outsideSchedule }
        if let stages = c.stages, !stages.contains(user.stage.stage) { return .wrongStage }
        if let locales = c.locales {
            // Written for the locale the user is served in, or a more general one of it (fr for fr-CA).
            let served = servedLocale(of: user)
            if !locales.contains(where: { $0 == served || served.truncations.contains($0) }) { return .wrongLocale }
        }
        if let audience = c.audience, !audience.matches(user.source, memo: &scratch.conditions) { return .audience }
        if let trigger = c.trigger {
            let firing = scratch.firings[c.triggerSlot] ?? Self.firing(of: trigger, for: user)
            scratch.firings[c.triggerSlot] = firing
            if let verdict = check(trigger, firing, now: user.now, lastShown: history.lastImpression(of: c.number)) {
                return verdict
            }
        }
        if let window = c.window, !window.contains(minuteOfDay: user.facts.minuteOfDay, weekday: user.facts.weekdayNumber) {
            return .outsideTimeWindow
        }
        if let dismissedAt = history.lastDismissal(of: c.number) {
            switch c.dismissal {
            case .forever: return .dismissed(at: dismissedAt, until: nil)
            case .snooze(let length):
                let until = dismissedAt.addingTimeInterval(length)
                if now < until { return .dismissed(at: dismissedAt, until: until) }
            }
        }
        for (k, cap) in c.caps.enumerated() {
            let n = history.impressions(of: c.number, since: scratch.start(of: cap.period, user), exclusive: cap.period.isRolling)
            if n >= cap.max { return .capped(cap: k, count: n) }
        }
        if !c.exemptFromChannelCaps {
            for (k, cap) in channelCaps.enumerated() {
                let times: [Double]
                switch cap.scope {
                case .channel(let channel):
                    guard channel == c.channel else { continue }
                    times = history.channels[channel] ?? []
                case .all, .campaign:
                    times = history.all
                }
                let n = HistoryIndex.count(times, since: scratch.start(of: cap.period, user), exclusive: cap.period.isRolling)
                if n >= cap.max { return .channelCapped(cap: k, count: n) }
            }
        }
        if c.holdout > 0, let h = Bucketing.hash(seed: c.holdoutSeed, value: user.profile.id, version: 2), h < c.holdout {
            return .holdout
        }
        return nil
    }

    /// What one decision works out once and every candidate reads: each distinct trigger's firing, each distinct
    /// audience test's answer, and where the user's day and week began.
    private struct Scratch {
        var firings: [Firing?]
        var conditions: ConditionMemo
        var day: Date?
        var week: Date?

        init(firings count: Int, conditionTests: Int) {
            firings = [Firing?](repeating: nil, count: count)
            conditions = ConditionMemo(count: conditionTests)
        }

        mutating func start(of period: FrequencyCap.Period, _ user: UserMoment) -> Date {
            switch period {
            case .day:
                if let day { return day }
                let d = user.start(of: period)
                day = d
                return d
            case .week:
                if let week { return week }
                let d = user.start(of: period)
                week = d
                return d
            case .rolling: return user.start(of: period)
            }
        }
    }

    /// A trigger's event as the user's events have it now: when the latest matching one happened, and the first
    /// exception after it (its place in the trigger's exceptions, and its time).
    private enum Firing {
        case missing
        case fired(at: Date, cancel: (exception: Int, time: Date)?)
    }

    private static func firing(of t: Trigger, for user: UserMoment) -> Firing {
        let now = user.now
        guard let fired = user.profile.lastEventTime(named: t.event, atOrBefore: now, matching: t.condition) else {
            return .missing
        }
        var cancel: (exception: Int, time: Date)?
        for (k, name) in t.exceptions.enumerated() {
            if let e = user.profile.firstEventTime(named: name, after: fired, atOrBefore: now),
               cancel.map({ e < $0.time }) ?? true
            {
                cancel = (k, e)
            }
        }
        return .fired(at: fired, cancel: cancel)
    }

    /// `lastShown`: when this campaign was last shown, in seconds since 1970.
    private func check(_ t: Trigger, _ firing: Firing, now: Date, lastShown: Double?) -> Verdict? {
        guard case .fired(let fired, let cancel) = firing else { return .triggerMissing }
        if let cancel { return .cancelledByException(exception: cancel.exception, at: cancel.time) }
        if let lastShown, lastShown >= fired.timeIntervalSince1970 {
            return .alreadySentForTrigger(triggeredAt: fired)
        }
        let due = fired.addingTimeInterval(t.delay)
        if now < due { return .triggerNotDue(dueAt: due) }
        let expiry = fired.addingTimeInterval(t.expiry)
        if now >= expiry { return .triggerExpired(expiredAt: expiry) }
        return nil
    }

    /// The user's variant of `campaign`: GrowthBook's hash (version 2) of the user id seeded with the campaign id,
    /// placed in the weight ranges, so the same user gets the same variant everywhere.
    public static func variant(of campaign: Campaign, for userId: String) -> String? {
        guard !campaign.variants.isEmpty else { return nil }
        guard let n = Bucketing.hash(seed: campaign.id, value: userId, version: 2) else { return nil }
        let ranges = Bucketing.bucketRanges(variations: campaign.variants.count, weights: campaign.variants.map(\.weight))
        let index = Bucketing.chooseVariation(n, ranges: ranges) ?? campaign.variants.count - 1
        return campaign.variants[index].key
    }
}
