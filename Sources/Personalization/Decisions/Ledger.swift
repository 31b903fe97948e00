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

    /// How many of each campaign's newest interactions of each kind deciding reads: a cap counts at most
    /// ``FrequencyCap/largestMax``, a dismissal or trigger needs the latest one, so older ones change no decision and
    /// a store need not read them. A user's history read for deciding is bounded by the content, not by their age.
    public static let depth = FrequencyCap.largestMax

    /// The newest `depth` interactions of each campaign and kind, oldest first (as the stores read a history).
    public func newest(_ depth: Int = Self.depth) -> InteractionHistory {
        var kept = self
        kept.interactions = Self.newest(interactions, depth) { $0.campaign + "\u{0}" + $0.kind.rawValue }
        return kept
    }

    /// Of `items`, in order oldest first, the newest `depth` of each `key`, in the same order (retention trims a kept
    /// ledger as a history read keeps it).
    public static func newest<Item>(_ items: [Item], _ depth: Int, key: (Item) -> String) -> [Item] {
        var seen: [String: Int] = [:]
        var keep = [Bool](repeating: false, count: items.count)
        for k in items.indices.reversed() {
            let name = key(items[k])
            let n = seen[name, default: 0]
            if n < depth {
                keep[k] = true
                seen[name] = n + 1
            }
        }
        return items.indices.filter { keep[$0] }.map { items[$0] }
    }
}

/// A history summed up for deciding: impressions and dismissals grouped by campaign number (a counting sort, two
/// arrays), and impression times per channel when channel caps need them.
struct HistoryIndex {
    /// `offsets[n]..<offsets[n + 1]` are campaign `n`'s entries in `times`/`dismissal`, oldest first.
    private var offsets: [Int]
    private var times: [Double]
    private var dismissal: [Bool]
    /// Impressions of campaigns that count against channel caps, per channel and all together.
    let channels: [Channel: [Double]]
    let all: [Double]

    /// Indexes what happened at or before `now`. `number` gives a campaign's number (nil for campaigns no longer in
    /// the content, which still count against channel caps); `exempt` campaigns do not use up channel caps.
    init(_ history: InteractionHistory, now: Date, campaignCount: Int, number: (String) -> Int?, exempt: Set<String>,
         channelCaps: Bool)
    {
        // Read in place: iterating the array would copy each interaction, and retain every string in it.
        var numbers = [Int](repeating: -1, count: history.interactions.count)
        var counts = Array(repeating: 0, count: campaignCount + 1)
        var channels: [Channel: [Double]] = [:]
        var all: [Double] = []
        history.interactions.withUnsafeBufferPointer { list in
            for k in list.indices {
                guard list[k].time <= now, list[k].kind != .click else { continue }
                let n = number(list[k].campaign) ?? -1
                numbers[k] = n
                if n >= 0 { counts[n + 1] += 1 }
                if channelCaps, list[k].kind == .impression, !exempt.contains(list[k].campaign) {
                    let t = list[k].time.timeIntervalSince1970
                    channels[list[k].channel, default: []].append(t)
                    all.append(t)
                }
            }
        }
        self.channels = channels
        self.all = all
        for n in 0..<campaignCount { counts[n + 1] += counts[n] }
        offsets = counts
        var times = [Double](repeating: 0, count: counts[campaignCount])
        var dismissal = [Bool](repeating: false, count: counts[campaignCount])
        var next = counts
        history.interactions.withUnsafeBufferPointer { list in
            for k in list.indices where numbers[k] >= 0 {
                let n = numbers[k]
                times[next[n]] = list[k].time.timeIntervalSince1970
                // An answered survey is done with, as if dismissed: it does not come back to ask again.
                dismissal[next[n]] = list[k].kind == .dismiss || list[k].kind == .answer
                next[n] += 1
            }
        }
        self.times = times
        self.dismissal = dismissal
    }

    /// Impressions of campaign `n` from `since` (excluded when `exclusive`) on.
    func impressions(of n: Int, since: Date, exclusive: Bool) -> Int {
        let s = since.timeIntervalSince1970
        var count = 0
        var k = offsets[n + 1]
        while k > offsets[n] {
            k -= 1
            if times[k] < s || (exclusive && times[k] == s) { break }
            if !dismissal[k] { count += 1 }
        }
        return count
    }

    /// The latest impression of campaign `n`, in seconds since 1970.
    func lastImpression(of n: Int) -> Double? {
        var k = offsets[n + 1]
        while k > offsets[n] {
            k -= 1
            if !dismissal[k] { return times[k] }
        }
        return nil
    }

    func lastDismissal(of n: Int) -> Date? {
        var k = offsets[n + 1]
        while k > offsets[n] {
            k -= 1
            if dismissal[k] { return Date(timeIntervalSince1970: times[k]) }
        }
        return nil
    }

    /// How many of the sorted `times` lie from `since` (excluded when `exclusive`) on.
    static func count(_ times: [Double], since: Date, exclusive: Bool) -> Int {
        let s = since.timeIntervalSince1970
        var low = 0
        var high = times.count
        while low < high {
            let mid = (low + high) >> 1
            if times[mid] < s || (exclusive && times[mid] == s) { low = mid + 1 } else { high = mid }
        }
        return times.count - low
    }
}

/// Where impressions and dismissals are kept. The core reads a user's history before deciding and records what
/// was shown; the server puts SQLite or PostgreSQL behind it.
public protocol InteractionLedger: Sendable {
    /// Keeps `interaction`; once this returns, it counts.
    func record(_ interaction: Interaction) async throws
    /// The user's interactions as deciding reads them, oldest first: the newest ``InteractionHistory/depth`` of each
    /// campaign and kind.
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
        (byUser[userId] ?? InteractionHistory()).newest()
    }

    public func forget(userId: String) {
        byUser[userId] = nil
    }
}
