import Experiments
import Foundation
import Liquid
import Personalization
import Storage

/// A campaign's results from its rollups: per arm (the holdout included) the users exposed, and per goal what they
/// did, each arm against the control (the holdout, else the first variant) with GrowthBook's statistics; the
/// sample ratio mismatch check against the configured split; and a daily series. The same document answers
/// `GET /v1/campaigns/{id}/results`, `stagecraft results` and the studio's Results view.
public struct CampaignResults: Sendable {
    public struct ArmSummary: Sendable {
        public var arm: Arm
        public var name: String
        /// The share of users the configuration sends to it (0 for an arm no longer configured).
        public var weight: Double
        public var exposed: Int
    }

    public let campaign: Campaign
    /// Exposure days (since 1970, UTC) included, both ends in.
    public let from: Int?
    public let to: Int?
    public let arms: [ArmSummary]
    public let control: Arm?
    /// Chi-square p-value of the observed split against the configured one; nil with fewer than two arms.
    public let sampleRatioPValue: Double?
    /// When the results are read: users exposed too recently for a goal's window to have passed are counted as such
    /// (nil: not said).
    public let now: Date?
    private let goalRows: [String: [Arm: (users: Int, sum: Double, sumOfSquares: Double)]]
    private let daily: [Int: [Arm: (exposed: Int, sum: Double)]]

    /// A mismatch this unlikely means the split is broken (GrowthBook's threshold).
    public static let mismatchThreshold = 0.001

    public init(campaign: Campaign, rollups: [Rollup], from: Int? = nil, to: Int? = nil, now: Date? = nil) {
        self.campaign = campaign
        self.from = from
        self.to = to
        self.now = now
        let kept = rollups.filter { r in (from.map { r.day >= $0 } ?? true) && (to.map { r.day <= $0 } ?? true) }
        // The configured arms, in order (the holdout first), then any the rollups have that are no longer configured.
        var configured: [(Arm, String, Double)] = []
        if campaign.holdout > 0 { configured.append((.holdout, "holdout", campaign.holdout)) }
        let rest = 1 - campaign.holdout
        if campaign.variants.isEmpty {
            configured.append((Arm(variant: nil), "default", rest))
        } else {
            let total = campaign.variants.map(\.weight).reduce(0, +)
            for v in campaign.variants { configured.append((Arm(variant: v.key), v.key, total > 0 ? rest * v.weight / total : 0)) }
        }
        var exposed: [Arm: Int] = [:]
        var goals: [String: [Arm: (users: Int, sum: Double, sumOfSquares: Double)]] = [:]
        var daily: [Int: [Arm: (exposed: Int, sum: Double)]] = [:]
        let primary = Self.primaryGoal(of: campaign)?.name
        for r in kept {
            if r.goal.isEmpty {
                exposed[r.arm, default: 0] += r.users
                daily[r.day, default: [:]][r.arm, default: (0, 0)].exposed += r.users
            } else {
                var g = goals[r.goal, default: [:]][r.arm] ?? (0, 0, 0)
                g.users += r.users
                g.sum += r.sum
                g.sumOfSquares += r.sumOfSquares
                goals[r.goal, default: [:]][r.arm] = g
                if r.goal == primary { daily[r.day, default: [:]][r.arm, default: (0, 0)].sum += r.sum }
            }
        }
        var arms = configured.map { ArmSummary(arm: $0.0, name: $0.1, weight: $0.2, exposed: exposed[$0.0] ?? 0) }
        for arm in exposed.keys.sorted() where !configured.contains(where: { $0.0 == arm }) {
            arms.append(ArmSummary(arm: arm, name: arm.heldOut ? "holdout" : (arm.variant.isEmpty ? "default" : arm.variant), weight: 0,
                                   exposed: exposed[arm] ?? 0))
        }
        self.arms = arms
        control = configured.first.map(\.0)
        let split = arms.filter { $0.weight > 0 }
        sampleRatioPValue = split.count > 1 ? Comparison.sampleRatioMismatch(users: split.map(\.exposed), weights: split.map(\.weight)) : nil
        goalRows = goals
        self.daily = daily
    }

    /// An arm's statistic for a goal.
    public func statistic(goal: Goal, arm: ArmSummary) -> ArmStatistic {
        let g = goalRows[goal.name]?[arm.arm] ?? (0, 0, 0)
        switch goal.measure {
        case .conversion: return .proportion(users: arm.exposed, conversions: g.sum)
        case .value: return .mean(users: arm.exposed, sum: g.sum, sumOfSquares: g.sumOfSquares)
        }
    }

    /// As JSON.
    public var value: Value {
        var out: [(String, Value)] = [
            ("campaign", .string(campaign.id)), ("channel", .string(campaign.channel.rawValue)),
            ("from", from.map { .string(Self.date($0)) } ?? .null), ("to", to.map { .string(Self.date($0)) } ?? .null),
            ("control", arms.first { $0.arm == control }.map { .string($0.name) } ?? .null),
            ("exposed", .int(arms.map(\.exposed).reduce(0, +))),
            ("arms", .array(arms.map { a in
                .object(LiquidObject([("arm", .string(a.name)), ("holdout", .bool(a.arm.heldOut)), ("weight", .double(a.weight)),
                                      ("exposed", .int(a.exposed))]))
            })),
        ]
        if let p = sampleRatioPValue {
            let flagged = p < Self.mismatchThreshold
            var srm: [(String, Value)] = [("p_value", .double(p)), ("threshold", .double(Self.mismatchThreshold)), ("mismatch", .bool(flagged))]
            if flagged {
                srm.append(("message", .string("Sample ratio mismatch: the users exposed per arm are unlikely under the configured split "
                    + "(p = \(Self.short(p))). The split or the exposure recording is broken; do not trust these results until it is fixed.")))
            }
            out.append(("srm", .object(LiquidObject(srm))))
        } else {
            out.append(("srm", .null))
        }
        out.append(("goals", .array(campaign.goals.map(goalValue))))
        out.append(("daily", dailyValue))
        if arms.allSatisfy({ $0.exposed == 0 }) {
            out.append(("message", .string("No user has been exposed to \(campaign.id) yet\(from != nil || to != nil ? " in these dates" : "").")))
        }
        return .object(LiquidObject(out))
    }

    private func goalValue(_ goal: Goal) -> Value {
        let controlArm = arms.first { $0.arm == control }
        let base = controlArm.map { statistic(goal: goal, arm: $0) }
        var list: [Value] = []
        for a in arms {
            let s = statistic(goal: goal, arm: a)
            let g = goalRows[goal.name]?[a.arm] ?? (0, 0, 0)
            var o: [(String, Value)] = [("arm", .string(a.name)), ("users", .int(a.exposed)), ("converted", .int(g.users)),
                                        ("sum", .double(g.sum)), ("sum_squares", .double(g.sumOfSquares)),
                                        (goal.measure == .conversion ? "rate" : "mean", a.exposed > 0 ? .double(s.mean) : .null)]
            if let base, let controlArm, a.arm != controlArm.arm {
                let c = Comparison(control: base, treatment: s)
                var cmp: [(String, Value)] = [
                    ("uplift", .double(c.expected)),
                    ("interval", .array([.double(c.bayesian.interval.lowerBound), .double(c.bayesian.interval.upperBound)])),
                    ("chance_to_win", .double(c.bayesian.chanceToWin)),
                    ("risk", .object(LiquidObject([("control", .double(c.bayesian.risk.control)), ("treatment", .double(c.bayesian.risk.treatment))]))),
                    ("p_value", .double(c.frequentist.pValue)),
                    ("confidence_interval", .array([.double(c.frequentist.interval.lowerBound), .double(c.frequentist.interval.upperBound)])),
                ]
                // An arm without users says so first: it is what the reader can act on.
                let empty: ComparisonProblem? = a.exposed == 0 || controlArm.exposed == 0 ? .noUnits : nil
                if let problem = empty ?? c.bayesian.problem ?? c.frequentist.problem {
                    cmp.append(("problem", .object(LiquidObject([("code", .string(problem.rawValue)), ("message", .string(problem.explanation))]))))
                } else {
                    cmp.append(("problem", .null))
                }
                o.append(("vs_control", .object(LiquidObject(cmp))))
            } else {
                o.append(("vs_control", .null))
            }
            list.append(.object(LiquidObject(o)))
        }
        let measure: Value
        switch goal.measure {
        case .conversion: measure = "conversion"
        case .value(let path): measure = .string("value: properties." + path.joined(separator: "."))
        }
        var fields: [(String, Value)] = [
            ("name", .string(goal.name)), ("event", .string(goal.event)), ("primary", .bool(goal.isPrimary)), ("measure", measure),
            ("within_seconds", .double(goal.within)), ("arms", .array(list)),
        ]
        // Users exposed so lately that their window is still open may yet count: their rates can still rise.
        if let open = usersInWindow(goal) {
            fields.append(("users_in_window", .int(open)))
            if open > 0 {
                let total = arms.map(\.exposed).reduce(0, +)
                fields.append(("window_message", .string("\(open) of the \(total) users exposed are still within the goal's "
                    + "\(Self.span(goal.within)) window: what they do next still counts, so these numbers can still rise.")))
            }
        }
        return .object(LiquidObject(fields))
    }

    /// Whether the window of `goal` has passed for every user exposed on `day` (its last second included) at `now`.
    func windowClosed(_ goal: Goal, day: Int, at now: Date) -> Bool {
        Double(day + 1) * 86_400 + goal.within <= now.timeIntervalSince1970
    }

    /// The users exposed whose window for `goal` is still open at ``now`` (nil when `now` is not given).
    func usersInWindow(_ goal: Goal) -> Int? {
        guard let now else { return nil }
        var open = 0
        for (day, perArm) in daily where !windowClosed(goal, day: day, at: now) {
            open += perArm.values.map(\.exposed).reduce(0, +)
        }
        return open
    }

    /// A window as people say it: "7-day", "12-hour".
    public static func span(_ seconds: TimeInterval) -> String {
        for (size, unit) in [(86_400.0, "day"), (3_600, "hour"), (60, "minute")]
            where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0
        {
            return String(format: "%.0f", seconds / size) + "-" + unit
        }
        return String(format: "%g", seconds) + "-second"
    }

    /// Day by day, from the first exposure day to the last one in range: each arm's users exposed that day, and
    /// cumulated to that day, with the primary goal's rate (or mean) over them.
    private var dailyValue: Value {
        guard let first = daily.keys.min(), let last = daily.keys.max() else { return .array([]) }
        var cumulative: [Arm: (exposed: Int, sum: Double)] = [:]
        var days: [Value] = []
        for day in first...last {
            var perArm: [Value] = []
            for a in arms {
                let today = daily[day]?[a.arm] ?? (0, 0)
                var c = cumulative[a.arm] ?? (0, 0)
                c.exposed += today.exposed
                c.sum += today.sum
                cumulative[a.arm] = c
                perArm.append(.object(LiquidObject([
                    ("arm", .string(a.name)), ("exposed", .int(today.exposed)), ("cumulative_exposed", .int(c.exposed)),
                    ("cumulative_value", c.exposed > 0 && !campaign.goals.isEmpty ? .double(c.sum / Double(c.exposed)) : .null),
                ])))
            }
            var fields: [(String, Value)] = [("date", .string(Self.date(day))), ("arms", .array(perArm))]
            // Whether the primary goal's window has passed for the users exposed that day (their rate is final).
            if let now, let goal = Self.primaryGoal(of: campaign) { fields.append(("window_closed", .bool(windowClosed(goal, day: day, at: now)))) }
            days.append(.object(LiquidObject(fields)))
        }
        return .array(days)
    }

    /// The goal the daily series follows: the primary one, else the first.
    static func primaryGoal(of campaign: Campaign) -> Goal? { campaign.goals.first { $0.isPrimary } ?? campaign.goals.first }

    /// A p-value as people read it.
    public static func short(_ p: Double) -> String { p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p) }

    /// `yyyy-MM-dd` of a day number (proleptic Gregorian, UTC), by arithmetic: no calendar to load on the way.
    public static func date(_ day: Int) -> String {
        let (y, m, d) = CivilCalendar.civil(fromDays: day)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// The day number of `yyyy-MM-dd`, nil when it is not such a date (a 30 February included).
    public static func day(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let day = CivilCalendar.days(fromCivil: y, m, d)
        return CivilCalendar.civil(fromDays: day) == (y, m, d) ? day : nil
    }
}

/// How users flow between lifecycle stages, from the moves kept as serving saw them (``StageMove``): per day the
/// users in each stage at its end (every move up to then counted, those before `from` too), and the moves between
/// stages within the days asked (from none: users seen for the first time). Answers `GET /v1/stages/flow`.
public struct StageFlow: Sendable {
    public let stages: [String]
    public let from: Int?
    public let to: Int?
    private let moves: [StageMove]

    /// The longest range of days one answer covers.
    public static let maxDays = 3_660

    /// `stages` in the content's order; stages only the moves name (no longer in the rules) follow.
    public init(moves: [StageMove], stages: [String], from: Int? = nil, to: Int? = nil) {
        var all = stages
        for m in moves {
            for s in [m.from, m.to] where !s.isEmpty && !all.contains(s) { all.append(s) }
        }
        self.stages = all
        self.moves = moves
        self.from = from
        self.to = to
    }

    public var value: Value {
        let first = from ?? moves.map(\.day).min()
        let last = to ?? moves.map(\.day).max()
        var days: [Value] = []
        var transitions: [String: Int] = [:]
        if let first, let last, first <= last, last - first < Self.maxDays {
            var users = [String: Int]()
            var byDay = [Int: [StageMove]]()
            for m in moves {
                if m.day < first {
                    if !m.from.isEmpty { users[m.from, default: 0] -= m.users }
                    users[m.to, default: 0] += m.users
                } else if m.day <= last {
                    byDay[m.day, default: []].append(m)
                }
            }
            for day in first...last {
                var moved = 0
                for m in byDay[day] ?? [] {
                    if !m.from.isEmpty { users[m.from, default: 0] -= m.users }
                    users[m.to, default: 0] += m.users
                    transitions[m.from + "\u{0}" + m.to, default: 0] += m.users
                    moved += m.users
                }
                days.append(.object(LiquidObject([
                    ("date", .string(CampaignResults.date(day))),
                    ("users", .object(LiquidObject(stages.map { ($0, .int(max(0, users[$0] ?? 0))) }))),
                    ("moves", .int(moved)),
                ])))
            }
        }
        let list = transitions.map { key, n -> (String, String, Int) in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]), n)
        }.sorted { ($1.2, $0.0, $0.1) < ($0.2, $1.0, $1.1) }
        var out: [(String, Value)] = [
            ("from", first.map { .string(CampaignResults.date($0)) } ?? .null), ("to", last.map { .string(CampaignResults.date($0)) } ?? .null),
            ("stages", .array(stages.map(Value.string))), ("days", .array(days)),
            ("transitions", .array(list.map { from, to, n in
                .object(LiquidObject([("from", from.isEmpty ? .null : .string(from)), ("to", to.isEmpty ? .null : .string(to)), ("users", .int(n))]))
            })),
        ]
        if moves.isEmpty { out.append(("message", "No stage has been recorded yet: stages are kept as serving sees users (placements, decide, tours, sends).")) }
        return .object(LiquidObject(out))
    }
}
