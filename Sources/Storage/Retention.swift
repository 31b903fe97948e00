import Foundation

/// What a store keeps as time passes (`stagecraft serve --retain-events-days`, `--retain-visitors-days` and the
/// per-user event limit). Each nil keeps everything of its kind.
public struct Retention: Sendable, Equatable {
    /// Events that happened before this go.
    public var eventsBefore: Date?
    /// Each user keeps their newest this many events; older ones go.
    public var eventsPerUser: Int?
    /// Anonymous visitors (store ids `anon:…`, not merged into a user) with nothing newer than this go whole:
    /// profile, events, interactions and kept answers. "Newer" is their profile's last write, their newest event
    /// and their newest interaction.
    public var visitorsBefore: Date?
    /// Each user keeps their newest this many interactions of each campaign and kind (a campaign's impressions, its
    /// dismissals...), newest by time, then by the order they were kept; older ones go. A visitor's interactions
    /// merged into the user (see ``Store/identify(anonymous:user:at:)``) are counted apart from the user's own, so
    /// that undoing the merge gives each back the newest they had. At ``InteractionHistory/depth`` this removes only
    /// what no decision reads any more, before or after an undo.
    public var interactionsPerKind: Int?

    public init(eventsBefore: Date? = nil, eventsPerUser: Int? = nil, visitorsBefore: Date? = nil, interactionsPerKind: Int? = nil) {
        self.eventsBefore = eventsBefore
        self.eventsPerUser = eventsPerUser
        self.visitorsBefore = visitorsBefore
        self.interactionsPerKind = interactionsPerKind
    }

    /// The store id prefix of anonymous visitors.
    public static let visitorPrefix = "anon:"

    /// Whether a visitor last seen at `seen` goes.
    package func visitorExpired(_ id: String, seen: Date?) -> Bool {
        guard let before = visitorsBefore, id.hasPrefix(Self.visitorPrefix), let seen else { return false }
        return seen < before
    }
}

/// What one step of retention did.
public struct PruneStep: Sendable, Equatable {
    /// The last id looked at, where the next step starts; nil when this step reached the last id.
    public var next: String?
    /// Ids looked at.
    public var subjects: Int
    /// Events removed from users (and visitors) kept.
    public var events: Int
    /// Interactions removed from users (and visitors) kept.
    public var interactions: Int
    /// Visitors removed whole.
    public var visitors: Int
    /// The ids whose data changed (a cache drops them).
    public var changed: [String]

    public init(next: String?, subjects: Int = 0, events: Int = 0, interactions: Int = 0, visitors: Int = 0, changed: [String] = []) {
        self.next = next
        self.subjects = subjects
        self.events = events
        self.interactions = interactions
        self.visitors = visitors
        self.changed = changed
    }
}
