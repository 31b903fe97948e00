import Foundation
import HTTPTypes
import Hummingbird
import Liquid
import NIOCore
import Synchronization

/// A rate a caller may keep up (`perSecond`), and how far ahead of it they may get at once (`burst`), as a token
/// bucket holds it: `burst` tokens at most, refilled at `perSecond`, one per request.
public struct Rate: Sendable, Equatable, CustomStringConvertible {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// `100/s`, `600/min`, optionally `,burst=200` (by default two seconds' worth, at least 10).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let rate = parts.first?.split(separator: "/", maxSplits: 1) ?? []
        guard rate.count == 2, let count = Double(rate[0]), count > 0, count.isFinite else {
            throw RateError(text)
        }
        switch rate[1] {
        case "s", "sec", "second": perSecond = count
        case "m", "min", "minute": perSecond = count / 60
        case "h", "hour": perSecond = count / 3600
        default: throw RateError(text)
        }
        burst = max(10, (2 * perSecond).rounded(.up))
        if parts.count == 2 {
            guard parts[1].hasPrefix("burst="), let b = Double(parts[1].dropFirst(6)), b >= 1, b.isFinite else { throw RateError(text) }
            burst = b
        }
    }

    public var description: String {
        let n = perSecond == perSecond.rounded() ? String(Int(perSecond)) : String(perSecond)
        return "\(n)/s,burst=\(Int(burst))"
    }
}

public struct RateError: Error, CustomStringConvertible {
    let text: String
    init(_ text: String) { self.text = text }
    public var description: String { "a rate is a count per second or minute, like 100/s, 600/min or 100/s,burst=300; not \"\(text)\"" }
}

/// The limits per caller, per instance (several instances each allow this much). Nil is no limit.
public struct RateLimits: Sendable {
    /// Per publishable key: a whole site's visitors share one, so it is high; it stops a copied key from being used
    /// to flood the server.
    public var publishableKey: Rate? = Rate(perSecond: 2000, burst: 4000)
    /// Per client address, for calls with a publishable key (browsers).
    public var address: Rate? = Rate(perSecond: 50, burst: 200)
    /// Per secret key (servers): none unless configured.
    public var secretKey: Rate?
    /// Take the client's address from the last entry of `X-Forwarded-For` (the one the proxy in front added), for a
    /// server behind a load balancer; otherwise the connection's peer.
    public var trustForwardedFor = false

    public init() {}
}

/// Token buckets by caller, in 16 shards so that requests on both threads seldom wait on one lock. Buckets that
/// have refilled are the same as no bucket, so they are dropped when a shard grows past its share of `maxCallers`.
final class RateLimiter: Sendable {
    let rate: Rate
    private let shards: [Shard]
    private let start = ContinuousClock.now
    private let maxPerShard: Int

    private struct Bucket {
        var tokens: Double
        var at: Double
    }

    private final class Shard: Sendable {
        let buckets = Mutex<[String: Bucket]>([:])
    }

    init(_ rate: Rate, maxCallers: Int = 100_000) {
        self.rate = rate
        shards = (0..<16).map { _ in Shard() }
        maxPerShard = max(1, maxCallers / 16)
    }

    private func seconds() -> Double {
        (ContinuousClock.now - start).seconds
    }

    /// Takes a token for `caller`: nil when there was one, else the seconds until there is.
    func take(_ caller: String) -> Double? {
        var h: UInt32 = 2_166_136_261
        for b in caller.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let now = seconds()
        let rate = rate
        return shards[Int(h & 15)].buckets.withLock { buckets in
            var b = buckets[caller] ?? Bucket(tokens: rate.burst, at: now)
            b.tokens = min(rate.burst, b.tokens + (now - b.at) * rate.perSecond)
            b.at = now
            let wait: Double?
            if b.tokens >= 1 {
                b.tokens -= 1
                wait = nil
            } else {
                wait = (1 - b.tokens) / rate.perSecond
            }
            if buckets[caller] == nil, buckets.count >= maxPerShard {
                let full = rate.burst / rate.perSecond
                buckets = buckets.filter { now - $0.value.at < full }
                // Still full of active callers: the oldest go, as if they had refilled.
                if buckets.count >= maxPerShard {
                    let cut = buckets.values.map(\.at).sorted()[buckets.count / 2]
                    buckets = buckets.filter { $0.value.at > cut }
                }
            }
            buckets[caller] = b
            return wait
        }
    }
}

/// The limiters the key check consults, one per kind of caller.
struct RateLimiters: Sendable {
    let limits: RateLimits
    let publishableKey: RateLimiter?
    let address: RateLimiter?
    let secretKey: RateLimiter?

    init(_ limits: RateLimits) {
        self.limits = limits
        publishableKey = limits.publishableKey.map { RateLimiter($0) }
        address = limits.address.map { RateLimiter($0) }
        secretKey = limits.secretKey.map { RateLimiter($0) }
    }

    /// Refuses the request with a 429 problem (and `Retry-After`) when its caller is past their rate: a publishable
    /// key's call counts for the key and for the client's address; a secret key's for the key when limited.
    func check(_ request: Request, grant: Grant, key: @autoclosure () -> String?, peer: String?, metrics: ServerMetrics) throws {
        switch grant {
        case .publishable:
            // The address first: one address over its rate must not spend the whole site's key.
            if let limiter = address {
                try take(limiter, "addr:" + (clientAddress(request, peer: peer).map(Self.bucket) ?? "unknown"), scope: "address", metrics: metrics)
            }
            if let limiter = publishableKey, let key = key() { try take(limiter, "key:" + key, scope: "publishable_key", metrics: metrics) }
        case .secret:
            if let limiter = secretKey, let key = key() { try take(limiter, "key:" + key, scope: "secret_key", metrics: metrics) }
        default:
            return
        }
    }

    private func take(_ limiter: RateLimiter, _ caller: String, scope: String, metrics: ServerMetrics) throws {
        guard let wait = limiter.take(caller) else { return }
        metrics.count("rate_limited", [("scope", scope)])
        let who = scope == "address" ? "this address" : "this key"
        var p = Problem(.tooManyRequests, "rate_limited",
                        "\(who) is over its rate of \(limiter.rate) requests on this server; retry after the time Retry-After gives",
                        extra: [("scope", .string(scope)), ("limit", .string(limiter.rate.description))])
        p.headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
        throw p
    }

    /// An IPv6 client counts by its /64 (one subscriber's network, whose addresses it may rotate at will); IPv4 by address.
    static func bucket(_ address: String) -> String {
        guard address.contains(":"), let parsed = IPv6Prefix(address) else { return address }
        return parsed.text
    }

    /// The client's address: the last `X-Forwarded-For` entry when the proxy in front is trusted, else the peer's.
    func clientAddress(_ request: Request, peer: String?) -> String? {
        if limits.trustForwardedFor, let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last,
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return peer
    }
}

/// The first 64 bits of an IPv6 address, written out (`2001:db8:1:2::/64`).
struct IPv6Prefix {
    let text: String

    init?(_ address: String) {
        var bytes = [UInt8](repeating: 0, count: 16)
        let parsed = address.split(separator: "%").first.map(String.init) ?? address
        guard parsed.withCString({ inet_pton(AF_INET6, $0, &bytes) }) == 1 else { return nil }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        text = groups.joined(separator: ":") + "::/64"
    }
}
