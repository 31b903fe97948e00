import Foundation
import Liquid

/// A campaign picked for a user, with the variant they are in.
public struct Selection: Sendable {
    let entry: DecisionEngine.Entry
    let userId: String

    public var campaign: Campaign { entry.campaign }

    /// The user's variant, nil when the campaign has no variants: GrowthBook's hash (version 2) of the user id
    /// seeded with the campaign id, placed in the weight ranges, so the same user gets the same variant everywhere.
    public var variant: String? { DecisionEngine.variant(of: entry.campaign, for: userId) }
}

/// Why a candidate did not win. Candidates are checked in this order, and the first rule that fails is the one
/// reported: schedule, stage, audience, trigger, time window, dismissal, caps, holdout; then among the eligible,
/// priority.
public enum Rejection: Sendable, Equatable, CustomStringConvertible {
    case outsideSchedule
    case wrongStage(stage: String, wanted: [String])
    /// The user is served in a language the campaign is not written in.
    case wrongLocale(locale: String, wanted: [String])
    case audience
    case triggerMissing(event: String)
    case cancelledByException(event: String, at: Date)
    case alreadySentForTrigger(triggeredAt: Date)
    case triggerNotDue(dueAt: Date)
    case triggerExpired(expiredAt: Date)
    case outsideTimeWindow(localTime: String, window: TimeWindow)
    case dismissed(at: Date, until: Date?)
    case capped(FrequencyCap, count: Int)
    case holdout
    case filledAnotherSlot(placement: String)
    case lowerPriority(than: String)
    /// Ranked below the winner (and its fallbacks) in a decision that stopped there: it loses to a higher priority
    /// whether or not its own rules hold.
    case notChecked(winner: String)

    /// A stable machine-readable name.
    public var code: String {
        switch self {
        case .outsideSchedule: return "schedule"
        case .wrongStage: return "stage"
        case .wrongLocale: return "locale"
        case .audience: return "audience"
        case .triggerMissing: return "trigger_missing"
        case .cancelledByException: return "trigger_cancelled"
        case .alreadySentForTrigger: return "trigger_already_sent"
        case .triggerNotDue: return "trigger_not_due"
        case .triggerExpired: return "trigger_expired"
        case .outsideTimeWindow: return "time_window"
        case .dismissed: return "dismissed"
        case .capped: return "capped"
        case .holdout: return "holdout"
        case .filledAnotherSlot: return "filled_another_slot"
        case .lowerPriority: return "lower_priority"
        case .notChecked: return "ranked_below_winner"
        }
    }

    public var description: String {
        func time(_ d: Date) -> String { Timestamp.format(d) }
        switch self {
        case .outsideSchedule: return "not running now (schedule)"
        case .wrongStage(let stage, let wanted):
            return "user is in stage \(stage); the campaign is for \(wanted.joined(separator: ", "))"
        case .wrongLocale(let locale, let wanted):
            return "user is served in \(locale); the campaign is written in \(wanted.joined(separator: ", "))"
        case .audience: return "user is not in the audience"
        case .triggerMissing(let event): return "no \(event) event that matches the trigger"
        case .cancelledByException(let event, let at): return "cancelled by \(event) at \(time(at))"
        case .alreadySentForTrigger(let at): return "already shown for the trigger event of \(time(at))"
        case .triggerNotDue(let due): return "triggered, due at \(time(due))"
        case .triggerExpired(let at): return "the trigger expired at \(time(at))"
        case .outsideTimeWindow(let local, let window): return "user's local time \(local) is outside \(window)"
        case .dismissed(let at, let until):
            return "dismissed at \(time(at))" + (until.map { ", snoozed until \(time($0))" } ?? " for good")
        case .capped(let cap, let count): return "capped: \(count) shown, at most \(cap)"
        case .holdout: return "user is in the holdout group"
        case .filledAnotherSlot(let placement): return "already fills \(placement) on this page"
        case .lowerPriority(let winner): return "eligible, but \(winner) ranks higher"
        case .notChecked(let winner): return "ranked below \(winner), which won; its own rules were not checked"
        }
    }
}

/// One candidate's fate.
public struct CandidateTrace: Sendable {
    public let campaign: String
    public let priority: Int
    /// Nil for the winner.
    public let rejection: Rejection?
}

/// A candidate's outcome as a decision keeps it: numbers and times only, the names and rules a ``Rejection`` states
/// left where they already are (the candidate's entry, the decision). A full trace of a hundred candidates is then
/// made and freed without counting references; ``Decision/trace`` spells each one out when it is read.
enum Verdict: Sendable {
    case chosen
    case outsideSchedule
    case wrongStage
    case wrongLocale
    case audience
    case triggerMissing
    /// `exception`: its place in the trigger's exceptions.
    case cancelledByException(exception: Int, at: Date)
    case alreadySentForTrigger(triggeredAt: Date)
    case triggerNotDue(dueAt: Date)
    case triggerExpired(expiredAt: Date)
    case outsideTimeWindow
    case dismissed(at: Date, until: Date?)
    /// `cap`: its place in the campaign's caps.
    case capped(cap: Int, count: Int)
    /// `cap`: its place in the engine's channel caps.
    case channelCapped(cap: Int, count: Int)
    case holdout
    case filledAnotherSlot
    case lowerPriority
    case notChecked
}

/// The answer for one placement or email: who wins, who would stand in if the winner cannot be shown, and why
/// every other candidate lost.
public struct Decision: Sendable {
    /// What a few rejections state beyond the candidate's own rules, kept only when one of them occurs.
    struct Details: Sendable {
        /// The user's local time (a time window's rejection).
        var localTime = ""
        /// The locale the user is served in (a campaign written for others).
        var servedLocale = ""
        /// Campaigns already filling another slot of the page, and which.
        var taken: [String: String] = [:]
        var channelCaps: [FrequencyCap] = []
    }

    /// The placement, or the email template, decided for.
    public let target: String
    public let stage: StageDecision
    /// Every candidate, in the order they rank, and what became of each (the same order).
    let candidates: [DecisionEngine.Entry]
    let verdicts: [Verdict]
    /// The winner's place in `candidates`.
    let winner: Int?
    let userId: String
    let details: Details
    /// The placement's default, shown when nothing else can be.
    public let placementDefault: Selection?

    /// The rule that orders candidates, as the trace states it.
    public static let tieBreak = "highest priority first; equal priorities by campaign id, A to Z"

    public var selection: Selection? { winner.map { Selection(entry: candidates[$0], userId: userId) } }

    /// The other eligible candidates, best first: the server falls back to them when the winner fails to render.
    public var fallbacks: [Selection] {
        var found: [Selection] = []
        for (i, v) in verdicts.enumerated() {
            if case .lowerPriority = v { found.append(Selection(entry: candidates[i], userId: userId)) }
        }
        return found
    }

    /// Every candidate, in the order they rank (priority, then id).
    public var trace: Trace { Trace(decision: self) }

    /// A decision's candidates as a collection, each spelled out (its ``Rejection`` made) when it is read.
    public struct Trace: RandomAccessCollection, Sendable {
        let decision: Decision
        public var startIndex: Int { 0 }
        public var endIndex: Int { decision.verdicts.count }
        public subscript(i: Int) -> CandidateTrace {
            let c = decision.candidates[i]
            return CandidateTrace(campaign: c.id, priority: c.priority, rejection: decision.rejection(at: i))
        }
    }

    /// Why `campaign` lost, nil when it won or was not a candidate.
    public func rejection(of campaign: String) -> Rejection? {
        candidates.firstIndex { $0.id == campaign }.flatMap(rejection(at:))
    }

    /// Why the candidate at `i` lost, nil for the winner. (A verdict names a rule the candidate has: the force
    /// unwraps below read what the check that gave it found there.)
    private func rejection(at i: Int) -> Rejection? {
        let c = candidates[i]
        switch verdicts[i] {
        case .chosen: return nil
        case .outsideSchedule: return .outsideSchedule
        case .wrongStage: return .wrongStage(stage: stage.stage, wanted: c.stages!)
        case .wrongLocale: return .wrongLocale(locale: details.servedLocale, wanted: c.locales!.map(\.identifier))
        case .audience: return .audience
        case .triggerMissing: return .triggerMissing(event: c.trigger!.event)
        case .cancelledByException(let exception, let at):
            return .cancelledByException(event: c.trigger!.exceptions[exception], at: at)
        case .alreadySentForTrigger(let at): return .alreadySentForTrigger(triggeredAt: at)
        case .triggerNotDue(let at): return .triggerNotDue(dueAt: at)
        case .triggerExpired(let at): return .triggerExpired(expiredAt: at)
        case .outsideTimeWindow: return .outsideTimeWindow(localTime: details.localTime, window: c.window!)
        case .dismissed(let at, let until): return .dismissed(at: at, until: until)
        case .capped(let cap, let count): return .capped(c.caps[cap], count: count)
        case .channelCapped(let cap, let count): return .capped(details.channelCaps[cap], count: count)
        case .holdout: return .holdout
        case .filledAnotherSlot: return .filledAnotherSlot(placement: details.taken[c.id]!)
        case .lowerPriority: return .lowerPriority(than: candidates[winner!].id)
        case .notChecked: return .notChecked(winner: candidates[winner!].id)
        }
    }

    /// The campaign the user would have been served had they not been held out of it: the first candidate in rank
    /// order, ahead of any winner, rejected for its holdout. That moment is the holdout user's exposure to it.
    public var heldOutCampaign: String? {
        for (i, v) in verdicts.enumerated() {
            switch v {
            case .chosen: return nil
            case .holdout: return candidates[i].id
            default: continue
            }
        }
        return nil
    }

    /// The trace as data for an API answer or a template.
    public var traceValue: Value {
        .array(trace.map { t in
            var o = LiquidObject([("campaign", .string(t.campaign)), ("priority", .int(t.priority))])
            if let r = t.rejection {
                o["outcome"] = "rejected"
                o["reason"] = .string(r.code)
                o["detail"] = .string(r.description)
            } else {
                o["outcome"] = "chosen"
            }
            return .object(o)
        })
    }
}
