import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import StagecraftServer
import Testing

private let keys = AccessKeys(secretKeys: ["sk_rate"], publishableKeys: ["pk_rate", "pk_other"])

private func limits(key: Rate? = nil, address: Rate? = nil, secret: Rate? = nil, forwarded: Bool = false) -> RateLimits {
    var l = RateLimits()
    l.publishableKey = key
    l.address = address
    l.secretKey = secret
    l.trustForwardedFor = forwarded
    return l
}

private func placement(_ client: any TestClientProtocol, key: String, forwardedFor: String? = nil) async throws -> TestResponse {
    var headers: HTTPFields = [HTTPField.Name("X-Stagecraft-Key")!: key]
    if let forwardedFor { headers[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
    return try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v1", method: .get, headers: headers)
}

@Suite("Rate limits")
struct RateLimitTests {
    @Test("rates read as counts per second or minute, with a burst; anything else is refused with the form to use")
    func parsing() throws {
        #expect(try Rate(parsing: "100/s") == Rate(perSecond: 100, burst: 200))
        #expect(try Rate(parsing: "600/min") == Rate(perSecond: 10, burst: 20))
        #expect(try Rate(parsing: "2/s") == Rate(perSecond: 2, burst: 10))
        #expect(try Rate(parsing: "5/s,burst=1") == Rate(perSecond: 5, burst: 1))
        for bad in ["", "abc", "0/s", "-1/s", "5/d", "5", "5/s,burst=0", "5/s,bursts=3", "inf/s", "nan/s"] {
            #expect(throws: RateError.self, "\(bad)") { try Rate(parsing: bad) }
        }
    }

    @Test("past an address's burst a publishable call is a 429 problem with Retry-After; secret keys are not limited")
    func addressLimit() async throws {
        let h = try Harness(keys: keys, rateLimits: limits(address: Rate(perSecond: 0.01, burst: 5)))
        try await h.test { client in
            for n in 1...5 { let r = try await placement(client, key: "pk_rate"); #expect(r.status == .ok, "call \(n)") }
            let refused = try await placement(client, key: "pk_rate")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.problemCode == "rate_limited")
            #expect(refused.json["scope"]?.stringValue == "address")
            // A token comes back in 100 s at 0.01/s, less what has passed since the burst began.
            #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { (80...100).contains($0) } == true)
            // The address is over, whichever key it uses.
            let otherKey = try await placement(client, key: "pk_other")
            #expect(otherKey.status == .tooManyRequests)
            for _ in 0..<20 {
                let r = try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v1", method: .get,
                                                 headers: [.authorization: "Bearer sk_rate"])
                #expect(r.status == .ok)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer sk_rate"]).text
            #expect(metrics.contains(#"stagecraft_rate_limited_total{scope="address"} 2"#))
        }
    }

    @Test("a publishable key's limit counts every address; a limited secret key is refused past its own")
    func keyLimits() async throws {
        let h = try Harness(keys: keys, rateLimits: limits(key: Rate(perSecond: 0.1, burst: 3), secret: Rate(perSecond: 0.1, burst: 2),
                                                           forwarded: true))
        try await h.test { client in
            for n in 1...3 { let r = try await placement(client, key: "pk_rate", forwardedFor: "10.0.0.\(n)"); #expect(r.status == .ok) }
            let refused = try await placement(client, key: "pk_rate", forwardedFor: "10.0.0.9")
            #expect(refused.status == .tooManyRequests && refused.json["scope"]?.stringValue == "publishable_key")
            let otherKey = try await placement(client, key: "pk_other")
            #expect(otherKey.status == .ok, "another key has its own bucket")
            let secret: HTTPFields = [.authorization: "Bearer sk_rate"]
            for _ in 0..<2 { let r = try await client.execute(uri: "/v1/content/status", method: .get, headers: secret); #expect(r.status == .ok) }
            let over = try await client.execute(uri: "/v1/content/status", method: .get, headers: secret)
            #expect(over.status == .tooManyRequests && over.json["scope"]?.stringValue == "secret_key")
        }
    }

    @Test("behind a trusted proxy each client address (the last X-Forwarded-For entry) has its own bucket")
    func forwardedAddresses() async throws {
        let h = try Harness(keys: keys, rateLimits: limits(address: Rate(perSecond: 0.1, burst: 2), forwarded: true))
        try await h.test { client in
            for _ in 0..<2 { let r = try await placement(client, key: "pk_rate", forwardedFor: "203.0.113.7, 10.0.0.1"); #expect(r.status == .ok) }
            let sameProxyEntry = try await placement(client, key: "pk_rate", forwardedFor: "10.0.0.1")
            #expect(sameProxyEntry.status == .tooManyRequests)
            // A client cannot pick its bucket by writing its own entry first: the proxy's appended one counts.
            let otherClient = try await placement(client, key: "pk_rate", forwardedFor: "198.51.100.1, 10.0.0.2")
            #expect(otherClient.status == .ok)
        }
    }

    @Test("with no keys (a developer's own machine) nothing is limited")
    func openServer() async throws {
        let h = try Harness(rateLimits: limits(key: Rate(perSecond: 0.1, burst: 1), address: Rate(perSecond: 0.1, burst: 1)))
        try await h.test { client in
            for _ in 0..<5 {
                let r = try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v1", method: .get)
                #expect(r.status == .ok)
            }
        }
    }
}
