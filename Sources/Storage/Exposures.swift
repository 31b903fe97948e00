import Foundation
import Liquid
import Personalization

/// The group of a campaign a user is counted in: a variant (`""` when the campaign has none), or the holdout.
public struct Arm: Hashable, Sendable, Comparable {
    public var variant: String
    public var heldOut: Bool

    public init(variant: String?, heldOut: Bool = false) {
        self.variant = heldOut ? "" : (variant ?? "")
        self.heldOut = heldOut
    }

    public static let holdout = Arm(variant: nil, heldOut: true)

    /// The holdout first, then variants by key.
    public static func < (a: Arm, b: Arm) -> Bool {
        a.heldOut != b.heldOut ? a.heldOut : a.variant < b.variant
    }
}

/// A user's first exposure to a campaign: the first impression or send of it (with the variant they got), or for a
/// holdout user the first time it would have been served to them. Only the first counts; later ones change nothing.
public struct Exposure: Sendable, Equatable {
    public var campaign: String
    public var userId: String
    public var arm: Arm
    public var time: Date

    public init(campaign: String, userId: String, arm: Arm, time: Date) {
        self.campaign = campaign
        self.userId = userId
        self.arm = arm
        self.time = time
    }

    /// The exposure an interaction makes: an impression (a send is one) exposes its user to its variant.
    public init?(_ interaction: Interaction) {
        guard interaction.kind == .impression else { return nil }
        self.init(campaign: interaction.campaign, userId: interaction.userId, arm: Arm(variant: interaction.variant),
                  time: interaction.time)
    }

    /// Days since 1970 (UTC) of the exposure: results are grouped by the day users were exposed.
    public var day: Int { Rollup.day(of: time) }
}

/// The campaigns' goals by the event they count, from the content: what an event arriving is attributed to.
public struct GoalIndex: Sendable {
    public struct Target: Sendable {
        public var campaign: String
        public var goal: Goal
    }

    private var byEvent: [String: [Target]] = [:]

    public init(_ campaigns: [Campaign]) {
        for c in campaigns {
            for g in c.goals { byEvent[g.event, default: []].append(Target(campaign: c.id, goal: g)) }
        }
    }

    /// No goals: events are kept and attributed to nothing.
    public static let none = GoalIndex([])

    public var isEmpty: Bool { byEvent.isEmpty }

    public func targets(of event: String) -> [Target] { byEvent[event] ?? [] }

    /// Whether some goal counts events of this name: only those are queued for attribution.
    public func counts(_ event: String) -> Bool { byEvent[event] != nil }

    /// The names of the events goals count, sorted.
    public var eventNames: [String] { byEvent.keys.sorted() }
}

/// One row of a campaign's results as the stores keep them, updated as exposures and events arrive: for the users of
/// one arm exposed on one day, how many there are (`goal` empty) or, for a goal, how many counted an event for it,
/// and the sum and sum of squares of their values (for a conversion a value is 1, so both are the conversions).
public struct Rollup: Sendable, Equatable {
    public var goal: String
    public var arm: Arm
    /// Days since 1970, UTC.
    public var day: Int
    public var users: Int
    public var sum: Double
    public var sumOfSquares: Double

    public init(goal: String, arm: Arm, day: Int, users: Int, sum: Double, sumOfSquares: Double) {
        self.goal = goal
        self.arm = arm
        self.day = day
        self.users = users
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    public static func day(of time: Date) -> Int { Int((time.timeIntervalSince1970 / 86_400).rounded(.down)) }
}

/// How new events change goal values, the same in every store: the store finds the exposures, reads the values
/// kept, and writes back what this computes. Keys are small structs of the strings they name, not the strings
/// joined: a pass handles thousands of events, and joining made and freed a string for each of them at every step.
package enum Attribution {
    /// A user of a campaign: whose exposure a goal event may count for.
    package struct Pair: Hashable, Sendable {
        package var campaign: String
        package var userId: String

        package init(campaign: String, userId: String) {
            self.campaign = campaign
            self.userId = userId
        }
    }

    /// One user's value for one goal of a campaign: a goal value row's key.
    package struct ValueKey: Hashable, Sendable, Comparable {
        package var campaign: String
        package var goal: String
        package var userId: String

        package init(campaign: String, goal: String, userId: String) {
            self.campaign = campaign
            self.goal = goal
            self.userId = userId
        }

        /// Campaign, then goal, then user: the order the SQL stores lock rows in.
        package static func < (a: ValueKey, b: ValueKey) -> Bool {
            if a.campaign != b.campaign { return a.campaign < b.campaign }
            if a.goal != b.goal { return a.goal < b.goal }
            return a.userId < b.userId
        }
    }

    /// What a batch's events add to one user's value for one goal of a campaign they were exposed to.
    package struct Credit: Sendable {
        /// The goal value row it adds to.
        package var valueKey: ValueKey
        package var exposure: Exposure
        package var isConversion: Bool
        /// The sum of the events' contributions (for a conversion, 1).
        package var amount: Double
        package var events: Int

        package var campaign: String { valueKey.campaign }
        package var goal: String { valueKey.goal }
        package var userId: String { valueKey.userId }

        /// The key as one string (campaign, goal and user joined by NUL), as the memory store keeps values.
        package var key: String { campaign + "\u{0}" + goal + "\u{0}" + userId }
    }

    /// The (campaign, user) pairs whose exposures the events may count for, each once, in the order first met.
    package static func wanted(_ events: [UserEvent], _ goals: GoalIndex) -> [Pair] {
        guard !goals.isEmpty else { return [] }
        var seen = Set<Pair>()
        var pairs: [Pair] = []
        for e in events {
            for t in goals.targets(of: e.event.name) {
                let pair = Pair(campaign: t.campaign, userId: e.userId)
                if seen.insert(pair).inserted { pairs.append(pair) }
            }
        }
        return pairs
    }

    /// The credits of `events`, one per campaign, goal and user, sorted by key (the order rows are written in, so two
    /// writers never wait on each other in a circle). `exposure` gives a user's exposure to a campaign.
    package static func credits(_ events: [UserEvent], _ goals: GoalIndex,
                                exposure: (_ campaign: String, _ userId: String) -> Exposure?) -> [Credit]
    {
        guard !goals.isEmpty else { return [] }
        var index: [ValueKey: Int] = [:]
        var credits: [Credit] = []
        for e in events {
            for t in goals.targets(of: e.event.name) {
                guard let exposed = exposure(t.campaign, e.userId),
                      let amount = t.goal.contribution(of: e.event, exposedAt: exposed.time)
                else { continue }
                let conversion = t.goal.measure == .conversion
                let key = ValueKey(campaign: t.campaign, goal: t.goal.name, userId: e.userId)
                if let at = index[key] {
                    credits[at].amount = conversion ? 1 : credits[at].amount + amount
                    credits[at].events += 1
                } else {
                    index[key] = credits.count
                    credits.append(Credit(valueKey: key, exposure: exposed, isConversion: conversion, amount: amount, events: 1))
                }
            }
        }
        credits.sort { $0.valueKey < $1.valueKey }
        return credits
    }

    /// The credits of `events` with the exposures given by pair.
    package static func credits(_ events: [UserEvent], _ goals: GoalIndex, exposed: [Pair: Exposure]) -> [Credit] {
        credits(events, goals, exposure: { exposed[Pair(campaign: $0, userId: $1)] })
    }

    /// What one exposure or credit adds to its campaign's rollup row (the exposure names the arm and day).
    package struct RollupChange: Sendable {
        package var campaign: String
        package var goal: String
        package var exposure: Exposure
        package var users: Int
        package var sum: Double
        package var sumOfSquares: Double

        package init(campaign: String, goal: String, exposure: Exposure, users: Int, sum: Double, sumOfSquares: Double) {
            self.campaign = campaign
            self.goal = goal
            self.exposure = exposure
            self.users = users
            self.sum = sum
            self.sumOfSquares = sumOfSquares
        }
    }

    /// A rollup row's key: campaign, goal, arm (the holdout before variants) and day, compared in that order.
    private struct RowKey: Hashable, Comparable {
        var campaign: String
        var goal: String
        var heldOut: Bool
        var variant: String
        var day: Int

        static func < (a: RowKey, b: RowKey) -> Bool {
            if a.campaign != b.campaign { return a.campaign < b.campaign }
            if a.goal != b.goal { return a.goal < b.goal }
            // Not held out ("0") before held out ("1"), as the keys were once joined as text.
            if a.heldOut != b.heldOut { return !a.heldOut }
            if a.variant != b.variant { return a.variant < b.variant }
            return a.day < b.day
        }
    }

    /// Changes summed per rollup row (one write each), in the rows' key order, as the SQL stores write them: two
    /// writers never wait on each other in a circle.
    package static func summed(_ changes: [RollupChange]) -> [(campaign: String, row: Rollup)] {
        var index: [RowKey: Int] = [:]
        var rows: [(key: RowKey, campaign: String, row: Rollup)] = []
        for c in changes {
            let key = RowKey(campaign: c.campaign, goal: c.goal, heldOut: c.exposure.arm.heldOut, variant: c.exposure.arm.variant,
                             day: c.exposure.day)
            let at: Int
            if let found = index[key] {
                at = found
            } else {
                at = rows.count
                index[key] = at
                rows.append((key, c.campaign, Rollup(goal: c.goal, arm: c.exposure.arm, day: key.day, users: 0, sum: 0, sumOfSquares: 0)))
            }
            rows[at].row.users += c.users
            rows[at].row.sum += c.sum
            rows[at].row.sumOfSquares += c.sumOfSquares
        }
        rows.sort { $0.key < $1.key }
        return rows.map { ($0.campaign, $0.row) }
    }

    /// The user's value after `credit`, given the value kept before (nil: none yet), and what that changes in the
    /// goal's rollup row (users, sum, sum of squares). Nil when nothing changes (a conversion already counted).
    package static func apply(_ credit: Credit, to old: Double?) -> (value: Double, users: Int, sum: Double, sumOfSquares: Double)? {
        if credit.isConversion {
            guard old == nil else { return nil }
            return (1, 1, 1, 1)
        }
        let before = old ?? 0
        let after = before + credit.amount
        return (after, old == nil ? 1 : 0, credit.amount, after * after - before * before)
    }
}

/// How many users moved from one lifecycle stage to another on a day (`from` empty: seen for the first time).
public struct StageMove: Sendable, Hashable {
    /// Days since 1970, UTC.
    public var day: Int
    public var from: String
    public var to: String
    public var users: Int

    public init(day: Int, from: String, to: String, users: Int) {
        self.day = day
        self.from = from
        self.to = to
        self.users = users
    }
}

/// A user seen in a lifecycle stage at a time.
public struct StageSighting: Sendable, Equatable {
    public var userId: String
    public var stage: String
    public var time: Date

    public init(userId: String, stage: String, time: Date) {
        self.userId = userId
        self.stage = stage
        self.time = time
    }
}
