import Foundation
import Liquid
import Localization

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

/// A user as the core sees one: an id, traits (any JSON), the zone they live in, their language, and recent events.
public struct Profile: Sendable {
    public var id: String
    public var traits: LiquidObject
    public var timeZone: TimeZone
    /// The language they read (BCP 47); nil for the content's default.
    public var locale: LocaleTag?
    /// Oldest first.
    public private(set) var events: [Event]
    /// The events grouped by name, in two flat arrays: counts and triggers look up one name, not every event.
    private(set) var byName: EventIndex
    /// Purchases (``Facts/purchaseEvents``) in time order with their running total spent.
    var purchases: (times: [Double], runningTotal: [Double]) { (byName.purchaseTimes, byName.runningTotal) }

    public init(id: String, traits: LiquidObject = LiquidObject(), timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                locale: LocaleTag? = nil, events: [Event] = [])
    {
        self.id = id
        self.traits = traits
        self.timeZone = timeZone
        self.locale = locale
        // A stable sort: events at the same instant keep the order they were given in.
        let sorted = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.events = sorted
        byName = EventIndex(sorted)
    }

    /// An order's amount: the first of ``Facts/amountProperties`` that is a number.
    static func amount(_ properties: LiquidObject) -> Double {
        for key in Facts.amountProperties {
            if case .int(let i)? = properties[key] { return Double(i) }
            if case .double(let d)? = properties[key] { return d }
        }
        return 0
    }

    /// When the user last did anything, at or before `now`.
    public func lastEventTime(atOrBefore now: Date) -> Date? {
        let timeline = byName.timeline
        let k = EventIndex.firstIndex(timeline, in: 0..<timeline.count, after: now.timeIntervalSince1970)
        return k == 0 ? nil : events[k - 1].time
    }

    /// When the latest `name` event at or before `now` whose properties satisfy `condition` happened; the events'
    /// properties are read in place.
    func lastEventTime(named name: String, atOrBefore now: Date, matching condition: AudienceCondition?) -> Date? {
        guard let range = byName.range(of: name) else { return nil }
        var k = byName.firstIndex(in: range, after: now.timeIntervalSince1970)
        return events.withUnsafeBufferPointer { list in
            while k > range.lowerBound {
                k -= 1
                let p = Int(byName.positions[k])
                if condition?.matches(.object(list[p].properties)) ?? true { return list[p].time }
            }
            return nil
        }
    }

    /// When the first `name` event after `time` and at or before `now` happened.
    func firstEventTime(named name: String, after time: Date, atOrBefore now: Date) -> Date? {
        guard let range = byName.range(of: name) else { return nil }
        let k = byName.firstIndex(in: range, after: time.timeIntervalSince1970)
        guard k < range.upperBound else { return nil }
        let time = events[Int(byName.positions[k])].time
        return time <= now ? time : nil
    }

    /// Every `name` event at or before `now`, oldest first.
    public func events(named name: String, atOrBefore now: Date) -> [Event] {
        guard let range = byName.range(of: name) else { return [] }
        return byName.positions[range.lowerBound..<byName.firstIndex(in: range, after: now.timeIntervalSince1970)].map { events[Int($0)] }
    }

    /// Reads `{"id", "traits", "time_zone", "locale", "events": [{"name", "time", "properties"}]}`.
    /// - Throws: ``ProfileError`` naming the field that is wrong.
    public init(json: Value) throws(ProfileError) {
        guard case .object(let o) = json else { throw ProfileError("a profile must be a JSON object") }
        try Self.known(o, ["id", "traits", "time_zone", "locale", "events"], what: "a profile")
        guard let id = o["id"].map(Self.idString), !id.isEmpty else { throw ProfileError("a profile needs an \"id\"") }
        var zone = TimeZone(identifier: "UTC")!
        if let value = o["time_zone"], !value.isNil {
            guard let name = value.stringValue else { throw ProfileError("\"time_zone\" must be an IANA zone name such as Europe/Paris") }
            guard let z = TimeZone(identifier: name) else { throw ProfileError("unknown time zone \"\(name)\"") }
            zone = z
        }
        var locale: LocaleTag?
        if let value = o["locale"], !value.isNil {
            guard let text = value.stringValue else {
                throw ProfileError("\"locale\" must be a language tag such as fr or zh-Hant-TW", invalidLocale: true)
            }
            do { locale = try LocaleTag(parsing: text) } catch { throw ProfileError("\"locale\": \(error)", invalidLocale: true) }
        }
        var traits = LiquidObject()
        if let value = o["traits"], !value.isNil {
            guard let object = value.objectValue else { throw ProfileError("\"traits\" must be an object") }
            traits = object
        }
        var list: [Value] = []
        if let value = o["events"], !value.isNil {
            guard let array = value.arrayValue else { throw ProfileError("\"events\" must be an array") }
            list = array
        }
        var events: [Event] = []
        for (i, raw) in list.enumerated() {
            guard case .object(let e) = raw, let name = e["name"]?.stringValue, !name.isEmpty else {
                throw ProfileError("event \(i) needs a \"name\"")
            }
            try Self.known(e, ["name", "time", "properties"], what: "event \(i) (\(name))")
            guard let text = e["time"]?.stringValue, let time = Timestamp.parse(text) else {
                throw ProfileError("event \(i) (\(name)) needs an ISO 8601 \"time\"")
            }
            var properties = LiquidObject()
            if let value = e["properties"], !value.isNil {
                guard let object = value.objectValue else { throw ProfileError("event \(i) (\(name)): \"properties\" must be an object") }
                properties = object
            }
            events.append(Event(name: name, time: time, properties: properties))
        }
        self.init(id: id, traits: traits, timeZone: zone, locale: locale, events: events)
    }

    /// Refuses members a profile does not have: a misspelt `time_zone` would otherwise be UTC without a word.
    private static func known(_ object: LiquidObject, _ names: [String], what: String) throws(ProfileError) {
        for key in object.keys where !names.contains(key) {
            throw ProfileError("\(what) has no \"\(key)\"; it has " + names.map { "\"\($0)\"" }.joined(separator: ", "))
        }
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
        byName = EventIndex(events)
    }
}

/// A profile's events grouped by name in flat arrays, built once when the profile is read: name `k`'s events are
/// entries `starts[k]..<starts[k + 1]` of `positions` (their places in the profile's events), oldest first. One
/// allocation per array rather than one per name keeps a user's counts in a few cache lines, and a reference keeps
/// copying a profile cheap.
final class EventIndex: Sendable {
    /// Each name's number, in the order names first occur.
    let slots: StringTable
    var names: [String] { slots.keys }
    let starts: [Int]
    let positions: [Int32]
    /// Every event's time and name number in the profile's (time) order, so that the recent events of all names
    /// are one contiguous run to count.
    let timeline: [Double]
    let nameAt: [Int32]
    /// Each name's earliest time.
    let firstTimes: [Double]
    let purchaseTimes: [Double]
    /// The running total spent, parallel to `purchaseTimes`.
    let runningTotal: [Double]

    init(_ events: [Event]) {
        var slots: [String: Int] = [:]
        var names: [String] = []
        var slotOf = [Int](repeating: 0, count: events.count)
        var counts: [Int] = []
        var purchaseTimes: [Double] = []
        var running: [Double] = []
        // Whether each name is a purchase, found once per name: one hash of the name per event.
        var purchase: [Bool] = []
        for (i, e) in events.enumerated() {
            let slot: Int
            if let s = slots[e.name] {
                slot = s
            } else {
                slot = names.count
                slots[e.name] = slot
                names.append(e.name)
                counts.append(0)
                purchase.append(Facts.purchaseEvents.contains(e.name))
            }
            slotOf[i] = slot
            counts[slot] += 1
            if purchase[slot] {
                purchaseTimes.append(e.time.timeIntervalSince1970)
                running.append((running.last ?? 0) + Profile.amount(e.properties))
            }
        }
        var starts = [Int](repeating: 0, count: names.count + 1)
        for k in names.indices { starts[k + 1] = starts[k] + counts[k] }
        var next = starts
        var positions = [Int32](repeating: 0, count: events.count)
        for i in events.indices {
            positions[next[slotOf[i]]] = Int32(i)
            next[slotOf[i]] += 1
        }
        let timeline = events.map { $0.time.timeIntervalSince1970 }
        self.slots = StringTable(names)
        self.starts = starts
        self.positions = positions
        self.timeline = timeline
        nameAt = slotOf.map { Int32($0) }
        firstTimes = names.indices.map { timeline[Int(positions[starts[$0]])] }
        self.purchaseTimes = purchaseTimes
        self.runningTotal = running
    }

    func range(of name: String) -> Range<Int>? {
        slots[name].map { starts[$0]..<starts[$0 + 1] }
    }

    /// The time of entry `k` of `positions`.
    func time(_ k: Int) -> Double { timeline[Int(positions[k])] }

    /// The first index in `range` of `positions` whose event is later than `t` (`range.upperBound` when none is).
    func firstIndex(in range: Range<Int>, after t: Double) -> Int {
        Self.firstIndex(in: range, after: t) { time($0) }
    }

    /// The same over sorted `times`.
    static func firstIndex(_ times: [Double], in range: Range<Int>, after t: Double) -> Int {
        firstIndex(in: range, after: t) { times[$0] }
    }

    /// A binary search for the first index in `range` whose `time` is later than `t`, over times in order.
    @inline(__always)
    private static func firstIndex(in range: Range<Int>, after t: Double, time: (Int) -> Double) -> Int {
        var low = range.lowerBound
        var high = range.upperBound
        // Counting up to now is the usual question, and the latest event is usually not later than now.
        if low < high, time(high - 1) <= t { return high }
        while low < high {
            let mid = (low + high) >> 1
            if time(mid) <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// How often each name happened in the day, 7 days and 30 days up to `t`, per name number; a month of -1 for a
    /// name with no event by `t`. One pass over the last 30 days' events, which lie together in the timeline.
    func windows(at t: Double) -> [WindowCounts] {
        let day = 86_400.0
        var windows = [WindowCounts](repeating: WindowCounts(-1, -1, -1), count: names.count)
        for k in names.indices where firstTimes[k] <= t { windows[k] = WindowCounts(0, 0, 0) }
        let end = Self.firstIndex(timeline, in: 0..<timeline.count, after: t)
        let start = Self.firstIndex(timeline, in: 0..<end, after: t - 30 * day)
        let week = t - 7 * day
        let today = t - day
        timeline.withUnsafeBufferPointer { time in
            nameAt.withUnsafeBufferPointer { name in
                windows.withUnsafeMutableBufferPointer { w in
                    for i in start..<end {
                        let k = Int(name[i])
                        w[k].month += 1
                        if time[i] > week {
                            w[k].week += 1
                            if time[i] > today { w[k].day += 1 }
                        }
                    }
                }
            }
        }
        return windows
    }
}

/// A profile that could not be read.
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// The `locale` given is not a language tag (what every API that takes a locale answers with its own problem).
    public let isInvalidLocale: Bool
    init(_ message: String, invalidLocale: Bool = false) {
        self.message = message
        isInvalidLocale = invalidLocale
    }
    public var description: String { message }
}

/// RFC 3339 times as APIs send them (`2026-06-10T14:00:00Z`, `2026-06-10T16:00:00.250+02:00`), read and written
/// by hand: a formatter costs tens of microseconds to make, and profiles carry thousands of event times.
public enum Timestamp {
    /// The instant, or nil when `text` is not an RFC 3339 date-time (`T` or a space between date and time; `Z`,
    /// `z` or an offset; fractional seconds allowed).
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                let d = Int(b[k]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard i < b.count, b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59,
              second <= 60
        else { return nil }
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(0x3A), let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilCalendar.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `2026-06-10T14:00:00Z`, with milliseconds when the instant has them.
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let whole = t.rounded(.down)
        let millis = Int(((t - whole) * 1000).rounded())
        var seconds = Int(whole)
        var ms = millis
        if ms == 1000 { seconds += 1; ms = 0 }
        let (days, rest) = CivilCalendar.days(fromSeconds: seconds)
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        // Years of four digits (all but the far past and future): written straight into the text's bytes.
        if (0...9999).contains(y) {
            return String(unsafeUninitializedCapacity: ms != 0 ? 24 : 20) { out in
                var j = 0
                func put(_ value: Int, _ width: Int, then separator: UInt8) {
                    var v = value
                    for k in stride(from: width - 1, through: 0, by: -1) {
                        out[j + k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                        v /= 10
                    }
                    out[j + width] = separator
                    j += width + 1
                }
                put(y, 4, then: UInt8(ascii: "-"))
                put(m, 2, then: UInt8(ascii: "-"))
                put(d, 2, then: UInt8(ascii: "T"))
                put(rest / 3600, 2, then: UInt8(ascii: ":"))
                put(rest / 60 % 60, 2, then: UInt8(ascii: ":"))
                if ms != 0 {
                    put(rest % 60, 2, then: UInt8(ascii: "."))
                    put(ms, 3, then: UInt8(ascii: "Z"))
                } else {
                    put(rest % 60, 2, then: UInt8(ascii: "Z"))
                }
                return j
            }
        }
        let pad = LocalClock.pad
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))"
        if ms != 0 { text += "." + pad(ms, 3) }
        return text + "Z"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
