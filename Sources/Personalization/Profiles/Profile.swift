import Foundation
import Liquid

/// Something a user did, at a time, with details (`cart_abandoned` with `value: 120`).
public struct Event: Sendable {
    public var name: String
    public var time: Date
    public var properties: LiquidObject

    public init(name: String, time: Date, properties: LiquidObject = LiquidObject()) {
        self.name = name
        self.time = time
        self.properties = properties
    }
}

/// A user as the core sees one: an id, traits (any JSON), the zone they live in, and recent events.
public struct Profile: Sendable {
    public var id: String
    public var traits: LiquidObject
    public var timeZone: TimeZone
    /// Oldest first.
    public private(set) var events: [Event]
    /// Positions in ``events`` by event name, oldest first: counts and triggers look up one name, not every event.
    private(set) var positions: [String: [Int]]

    public init(id: String, traits: LiquidObject = LiquidObject(), timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                events: [Event] = [])
    {
        self.id = id
        self.traits = traits
        self.timeZone = timeZone
        // A stable sort: events at the same instant keep the order they were given in.
        let sorted = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.events = sorted
        self.positions = Self.index(sorted)
    }

    private static func index(_ events: [Event]) -> [String: [Int]] {
        var positions: [String: [Int]] = [:]
        for (i, e) in events.enumerated() { positions[e.name, default: []].append(i) }
        return positions
    }

    /// The names of the user's events.
    public var eventNames: some Collection<String> { positions.keys }

    /// How many `name` events happened after `start` and at or before `end`.
    public func count(of name: String, after start: Date, through end: Date) -> Int {
        guard let list = positions[name] else { return 0 }
        return firstPosition(in: list, after: end, inclusive: false) - firstPosition(in: list, after: start, inclusive: false)
    }

    /// The latest `name` event at or before `now` for which `accept` holds.
    public func lastEvent(named name: String, atOrBefore now: Date, where accept: (Event) -> Bool = { _ in true }) -> Event? {
        guard let list = positions[name] else { return nil }
        var k = firstPosition(in: list, after: now, inclusive: false)
        while k > 0 {
            k -= 1
            let e = events[list[k]]
            if accept(e) { return e }
        }
        return nil
    }

    /// The first `name` event after `time` and at or before `now`.
    public func firstEvent(named name: String, after time: Date, atOrBefore now: Date) -> Event? {
        guard let list = positions[name] else { return nil }
        let k = firstPosition(in: list, after: time, inclusive: false)
        guard k < list.count, events[list[k]].time <= now else { return nil }
        return events[list[k]]
    }

    /// Every `name` event at or before `now`, oldest first.
    public func events(named name: String, atOrBefore now: Date) -> [Event] {
        guard let list = positions[name] else { return [] }
        return list[..<firstPosition(in: list, after: now, inclusive: false)].map { events[$0] }
    }

    /// The index in `list` of the first event later than `time` (or at it, when `inclusive`).
    private func firstPosition(in list: [Int], after time: Date, inclusive: Bool) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            let t = events[list[mid]].time
            if inclusive ? t < time : t <= time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Reads `{"id", "traits", "time_zone", "events": [{"name", "time", "properties"}]}`.
    /// - Throws: ``ProfileError`` naming the field that is wrong.
    public init(json: Value) throws(ProfileError) {
        guard case .object(let o) = json else { throw ProfileError("a profile must be a JSON object") }
        guard let id = o["id"].map(Self.idString), !id.isEmpty else { throw ProfileError("a profile needs an \"id\"") }
        var zone = TimeZone(identifier: "UTC")!
        if let name = o["time_zone"]?.stringValue {
            guard let z = TimeZone(identifier: name) else { throw ProfileError("unknown time zone \"\(name)\"") }
            zone = z
        }
        var events: [Event] = []
        for (i, raw) in (o["events"]?.arrayValue ?? []).enumerated() {
            guard case .object(let e) = raw, let name = e["name"]?.stringValue, !name.isEmpty else {
                throw ProfileError("event \(i) needs a \"name\"")
            }
            guard let text = e["time"]?.stringValue, let time = Timestamp.parse(text) else {
                throw ProfileError("event \(i) (\(name)) needs an ISO 8601 \"time\"")
            }
            events.append(Event(name: name, time: time, properties: e["properties"]?.objectValue ?? LiquidObject()))
        }
        self.init(id: id, traits: o["traits"]?.objectValue ?? LiquidObject(), timeZone: zone, events: events)
    }

    private static func idString(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return ""
        }
    }

    /// Adds an event, keeping the order.
    public mutating func record(_ event: Event) {
        let index = events.lastIndex { $0.time <= event.time }.map { $0 + 1 } ?? 0
        events.insert(event, at: index)
        positions = Self.index(events)
    }
}

/// A profile that could not be read.
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// ISO 8601 times as APIs send them, with or without fractional seconds.
enum Timestamp {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
