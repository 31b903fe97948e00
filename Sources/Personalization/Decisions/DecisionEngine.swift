import Foundation
import Liquid

/// A user at one moment, worked out once and used for every placement of a request: their facts, stage, the
/// attributes conditions read, and their local calendar.
public struct UserMoment: Sendable {
    public let profile: Profile
    public let now: Date
    public let facts: Facts
    public let stage: StageDecision
    /// `{user, facts, stage, context}`.
    public let attributes: Value
    let calendar: Calendar

    public init(profile: Profile, now: Date, stageRules: StageRules, statedStage: String? = nil,
                context: LiquidObject = LiquidObject())
    {
        self.profile = profile
        self.now = now
        let facts = Facts(profile: profile, now: now)
        self.facts = facts
        let stage = stageRules.stage(for: TargetingAttributes.make(profile: profile, facts: facts, context: context),
                                     stated: statedStage)
        self.stage = stage
        self.attributes = TargetingAttributes.make(profile: profile, facts: facts, stage: stage.stage, context: context)
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = profile.timeZone
        self.calendar = calendar
    }

    /// Where the period a calendar cap counts began, in the user's zone.
    func start(of period: FrequencyCap.Period) -> Date {
        switch period {
        case .day: return calendar.startOfDay(for: now)
        case .week: return calendar.dateInterval(of: .weekOfYear, for: now)?.start ?? calendar.startOfDay(for: now)
        case .rolling(let seconds): return now.addingTimeInterval(-seconds)
        }
    }
}

/// Picks the one message for a placement (or decides whether an email goes out), deterministically, with a trace
/// of every candidate.
///
/// ```swift
/// let engine = DecisionEngine(campaigns: content.campaigns, stageRules: content.stageRules)
/// let user = UserMoment(profile: profile, now: .now, stageRules: engine.stageRules)
/// let decision = engine.decide(placement: "home-hero", for: user, history: try await ledger.history(userId: profile.id))
/// decision.selection?.campaign.template   // "banners/win-back"
/// ```
public struct DecisionEngine: Sendable {
    public let campaigns: [Campaign]
    public let stageRules: StageRules
    /// Caps over channels (`.channel`) or everything (`.all`).
    public let channelCaps: [FrequencyCap]
    /// Candidate indexes per placement and per template, in rank order; defaults apart.
    private let byPlacement: [String: [Int]]
    private let byTemplate: [String: Int]
    private let defaults: [String: Int]
    private let exempt: Set<String>

    public init(campaigns: [Campaign], stageRules: StageRules, channelCaps: [FrequencyCap] = []) {
        self.campaigns = campaigns
        self.stageRules = stageRules
        self.channelCaps = channelCaps
        let ranked = campaigns.indices.sorted { a, b in
            let x = campaigns[a], y = campaigns[b]
            return x.priority != y.priority ? x.priority > y.priority : x.id < y.id
        }
        var byPlacement: [String: [Int]] = [:]
        var defaults: [String: Int] = [:]
        for i in ranked {
            guard let placement = campaigns[i].placement else { continue }
            if campaigns[i].isDefault {
                if defaults[placement] == nil { defaults[placement] = i }
            } else {
                byPlacement[placement, default: []].append(i)
            }
        }
        self.byPlacement = byPlacement
        self.defaults = defaults
        var byTemplate: [String: Int] = [:]
        for i in ranked where byTemplate[campaigns[i].template] == nil { byTemplate[campaigns[i].template] = i }
        self.byTemplate = byTemplate
        self.exempt = Set(campaigns.filter(\.exemptFromChannelCaps).map(\.id))
    }

    /// The placements campaigns fill, sorted.
    public var placements: [String] { Set(byPlacement.keys).union(defaults.keys).sorted() }

    public func campaign(forTemplate template: String) -> Campaign? { byTemplate[template].map { campaigns[$0] } }

    /// The campaigns competing for `placement`, best ranked first (the default apart).
    public func candidates(for placement: String) -> [Campaign] { (byPlacement[placement] ?? []).map { campaigns[$0] } }

    public func placementDefault(for placement: String) -> Campaign? { defaults[placement].map { campaigns[$0] } }

    /// The winner for `placement`; nil selection when no campaign may be shown.
    public func decide(placement: String, for user: UserMoment, history: InteractionHistory) -> Decision {
        decide(target: placement, candidates: byPlacement[placement] ?? [], default: defaults[placement], user: user,
               history: history, taken: [:])
    }

    /// Whether the email `template` goes to the user now: the same rules, one candidate.
    public func decide(template: String, for user: UserMoment, history: InteractionHistory) -> Decision {
        decide(target: template, candidates: byTemplate[template].map { [$0] } ?? [], default: nil, user: user,
               history: history, taken: [:])
    }

    /// Several placements of one page: a campaign fills one slot at most, and each winner counts against the caps
    /// of the slots decided after it (in the order given).
    public func decide(placements: [String], for user: UserMoment, history: InteractionHistory) -> [Decision] {
        var history = history
        var taken: [String: String] = [:]
        var decisions: [Decision] = []
        for placement in placements {
            let d = decide(target: placement, candidates: byPlacement[placement] ?? [], default: defaults[placement],
                           user: user, history: history, taken: taken)
            if let s = d.selection {
                taken[s.campaign.id] = placement
                history.append(Interaction(userId: user.profile.id, campaign: s.campaign.id, channel: s.campaign.channel,
                                           kind: .impression, time: user.now, variant: s.variant, placement: placement))
            }
            decisions.append(d)
        }
        return decisions
    }

    private func decide(target: String, candidates: [Int], default defaultIndex: Int?, user: UserMoment,
                        history: InteractionHistory, taken: [String: String]) -> Decision
    {
        var trace: [CandidateTrace] = []
        trace.reserveCapacity(candidates.count)
        var eligible: [Selection] = []
        for i in candidates {
            let c = campaigns[i]
            var rejection = taken[c.id].map { Rejection.filledAnotherSlot(placement: $0) }
                ?? check(c, user: user, history: history)
            if rejection == nil {
                if let winner = eligible.first { rejection = .lowerPriority(than: winner.campaign.id) }
                eligible.append(Selection(campaign: c, variant: variant(of: c, for: user.profile.id)))
            }
            trace.append(CandidateTrace(campaign: c.id, priority: c.priority, rejection: rejection))
        }
        let fallback = defaultIndex.map { Selection(campaign: campaigns[$0], variant: variant(of: campaigns[$0], for: user.profile.id)) }
        return Decision(target: target, stage: user.stage, selection: eligible.first, fallbacks: Array(eligible.dropFirst()),
                        placementDefault: fallback, trace: trace)
    }

    /// The first rule `campaign` fails for the user now, in the documented order, or nil when it may be shown.
    func check(_ c: Campaign, user: UserMoment, history: InteractionHistory) -> Rejection? {
        let now = user.now
        if !c.schedule.contains(now, localDate: user.facts.localDate) { return .outsideSchedule }
        if let stages = c.stages, !stages.contains(user.stage.stage) {
            return .wrongStage(stage: user.stage.stage, wanted: stages)
        }
        if let audience = c.audience, !audience.matches(user.attributes) { return .audience }
        if let trigger = c.trigger, let rejection = check(trigger, of: c, user: user, history: history) { return rejection }
        if let window = c.window, !window.contains(minuteOfDay: user.facts.minuteOfDay, weekday: user.facts.weekdayNumber) {
            return .outsideTimeWindow(localTime: user.facts.localTime, window: window)
        }
        if let dismissedAt = history.lastDismissal(of: c.id, before: now) {
            switch c.dismissal {
            case .forever: return .dismissed(at: dismissedAt, until: nil)
            case .snooze(let length):
                let until = dismissedAt.addingTimeInterval(length)
                if now < until { return .dismissed(at: dismissedAt, until: until) }
            }
        }
        for cap in c.caps {
            let n = history.impressions(since: user.start(of: cap.period), exclusive: cap.period.isRolling, until: now) { $0.campaign == c.id }
            if n >= cap.max { return .capped(cap, count: n) }
        }
        if !c.exemptFromChannelCaps {
            for cap in channelCaps {
                let counted: (Interaction) -> Bool
                switch cap.scope {
                case .channel(let channel):
                    guard channel == c.channel else { continue }
                    counted = { $0.channel == channel && !self.isExempt($0.campaign) }
                case .all, .campaign:
                    counted = { !self.isExempt($0.campaign) }
                }
                let n = history.impressions(since: user.start(of: cap.period), exclusive: cap.period.isRolling, until: now,
                                            where: counted)
                if n >= cap.max { return .capped(cap, count: n) }
            }
        }
        if c.holdout > 0, let h = Bucketing.hash(seed: c.id + ":holdout", value: user.profile.id, version: 2), h < c.holdout {
            return .holdout
        }
        return nil
    }

    /// Impressions of exempt campaigns do not use up channel caps.
    private func isExempt(_ campaign: String) -> Bool { exempt.contains(campaign) }

    private func check(_ t: Trigger, of c: Campaign, user: UserMoment, history: InteractionHistory) -> Rejection? {
        let now = user.now
        let matches: (Event) -> Bool = { e in t.condition?.matches(.object(e.properties)) ?? true }
        guard let fired = user.profile.lastEvent(named: t.event, atOrBefore: now, where: matches) else {
            return .triggerMissing(event: t.event)
        }
        var cancel: Event?
        for name in t.exceptions {
            if let e = user.profile.firstEvent(named: name, after: fired.time, atOrBefore: now),
               cancel.map({ e.time < $0.time }) ?? true
            {
                cancel = e
            }
        }
        if let cancel { return .cancelledByException(event: cancel.name, at: cancel.time) }
        if history.shown(c.id, since: fired.time) { return .alreadySentForTrigger(triggeredAt: fired.time) }
        let due = fired.time.addingTimeInterval(t.delay)
        if now < due { return .triggerNotDue(dueAt: due) }
        let expiry = fired.time.addingTimeInterval(t.expiry)
        if now >= expiry { return .triggerExpired(expiredAt: expiry) }
        return nil
    }

    /// The user's variant of `campaign`: GrowthBook's hash (version 2) of the user id seeded with the campaign id,
    /// placed in the weight ranges, so the same user gets the same variant everywhere.
    public func variant(of campaign: Campaign, for userId: String) -> String? {
        guard !campaign.variants.isEmpty else { return nil }
        guard let n = Bucketing.hash(seed: campaign.id, value: userId, version: 2) else { return nil }
        let ranges = Bucketing.bucketRanges(variations: campaign.variants.count, weights: campaign.variants.map(\.weight))
        let index = Bucketing.chooseVariation(n, ranges: ranges) ?? campaign.variants.count - 1
        return campaign.variants[index].key
    }
}
