import Foundation

/// `{{ value | date: "%b %-d", "Europe/Paris" }}`: formats a time with Ruby's `strftime`,
/// optionally shown in a named time zone (else the render's default zone, else the time's own offset).
enum DateFilter {
    @Sendable static func date(_ input: Value, _ args: FilterArguments, _ context: Context) throws(LiquidError) -> Value {
        try args.expect("date", min: 1, max: 2)
        let format = rubyString(args[0]!)
        if format.isEmpty { return input }
        var zone = context.options.timeZone
        if let name = args[1], !name.isNil {
            guard let z = TimeZone(identifier: rubyString(name)) ?? TimeZone(abbreviation: rubyString(name)) else {
                throw LiquidError.argument("date: unknown time zone '\(rubyString(name))'")
            }
            zone = z
        }
        guard var time = toTime(input, context: context, zone: zone) else { return input }
        if let zone { time = time.converted(to: zone) }
        return .string(Strftime.format(time, format))
    }

    /// `Utils.to_date`: "now"/"today", integer timestamps (also as digit strings), then parsed strings;
    /// anything else (floats included) is not a date and is printed as it is.
    static func toTime(_ input: Value, context: Context, zone: TimeZone?) -> LiquidTime? {
        let utc = { (seconds: Int, nanos: Int) in LiquidTime(seconds: seconds, nanoseconds: nanos, offset: 0, zoneName: "UTC") }
        switch input {
        case .int(let i): return utc(i, 0)
        case .string(let raw):
            if raw.isEmpty { return nil }
            if raw.utf8.count <= 5, case let s = raw.lowercased(), s == "now" || s == "today" {
                let now = context.options.now ?? Date()
                let t = now.timeIntervalSince1970
                return utc(Int(t.rounded(.down)), Int((t - t.rounded(.down)) * 1e9))
            }
            if raw.utf8.allSatisfy(isDigit), let i = Int(raw) { return utc(i, 0) }
            return DateParser.parse(raw, zone: zone)
        default:
            return nil
        }
    }
}

