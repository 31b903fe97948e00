import Foundation
import Liquid

/// Something a user did with a message: saw it, clicked it, dismissed it, answered it.
public struct Interaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case impression, click, dismiss, answer
    }

    public var userId: String
    public var campaign: String
    public var channel: Channel
    public var kind: Kind
    public var time: Date
    public var variant: String?
    public var placement: String?
    /// A survey answer, or other details.
    public var data: Value?

    public init(userId: String, campaign: String, channel: Channel, kind: Kind, time: Date, variant: String? = nil,
                placement: String? = nil, data: Value? = nil)
    {
        self.userId = userId
        self.campaign = campaign
        self.channel = channel
        self.kind = kind
        self.time = time
        self.variant = variant
        self.placement = placement
        self.data = data
    }

    public static func == (a: Interaction, b: Interaction) -> Bool {
        a.userId == b.userId && a.campaign == b.campaign && a.channel == b.channel && a.kind == b.kind
            && a.time == b.time && a.variant == b.variant && a.placement == b.placement
            && a.data.map(JSON.serialize) == b.data.map(JSON.serialize)
    }
}

/// One user's interactions, oldest first: what caps, dismissals and triggers are counted from.
public struct InteractionHistory: Sendable {
    public private(set) var interactions: [Interaction]

    public init(_ interactions: [Interaction] = []) {
        self.interactions = interactions.sorted { $0.time < $1.time }
    }

    public mutating func append(_ interaction: Interaction) {
        let index = interactions.lastIndex { $0.time <= interaction.time }.map { $0 + 1 } ?? 0
        interactions.insert(interaction, at: index)
    }

    /// Impressions from `since` (included unless `exclusive`) to `until` (included) matching `filter`.
    func impressions(since: Date, exclusive: Bool = false, until: Date, where filter: (Interaction) -> Bool) -> Int {
        var n = 0
        for i in interactions.reversed() {
            if i.time < since || (exclusive && i.time == since) { break }
            if i.kind == .impression, i.time <= until, filter(i) { n += 1 }
        }
        return n
    }

    /// The latest dismissal of `campaign` at or before `now`.
    func lastDismissal(of campaign: String, before now: Date) -> Date? {
        interactions.last { $0.kind == .dismiss && $0.campaign == campaign && $0.time <= now }?.time
    }

    /// Whether `campaign` was shown or sent at or after `time`.
    func shown(_ campaign: String, since time: Date) -> Bool {
        for i in interactions.reversed() {
            if i.time < time { return false }
            if i.kind == .impression, i.campaign == campaign { return true }
        }
        return false
    }
}

/// Where impressions and dismissals are kept. The core reads a user's history before deciding and records what
/// was shown; the server puts SQLite or PostgreSQL behind it.
public protocol InteractionLedger: Sendable {
    /// Keeps `interaction`; once this returns, it counts.
    func record(_ interaction: Interaction) async throws
    /// The user's interactions, oldest first.
    func history(userId: String) async throws -> InteractionHistory
    /// Removes everything kept about the user.
    func forget(userId: String) async throws
}

/// A ledger in memory, for tests, previews and single-process use.
public actor InMemoryLedger: InteractionLedger {
    private var byUser: [String: InteractionHistory] = [:]

    public init() {}

    public func record(_ interaction: Interaction) {
        byUser[interaction.userId, default: InteractionHistory()].append(interaction)
    }

    public func history(userId: String) -> InteractionHistory {
        byUser[userId] ?? InteractionHistory()
    }

    public func forget(userId: String) {
        byUser[userId] = nil
    }
}
