import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Who may call what. Secret keys (bearer) are for servers: every endpoint. Publishable keys are for browsers:
/// blocks, decisions, tours and interactions only, from allowed origins, and for a known user id only with the
/// id's HMAC made with a secret key (identity verification); anonymous ids need none.
public struct AccessKeys: Sendable {
    public var secretKeys: [String]
    public var publishableKeys: [String]
    /// Origins (`https://shop.example`) whose pages may call with a publishable key.
    public var allowedOrigins: [String]

    public init(secretKeys: [String] = [], publishableKeys: [String] = [], allowedOrigins: [String] = []) {
        self.secretKeys = secretKeys.filter { !$0.isEmpty }
        self.publishableKeys = publishableKeys.filter { !$0.isEmpty }
        self.allowedOrigins = allowedOrigins.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.filter { !$0.isEmpty }
    }

    /// No keys at all: the server is for this machine only (it binds 127.0.0.1) and lets every call through.
    public var isOpen: Bool { secretKeys.isEmpty && publishableKeys.isEmpty }

    /// The identity hash a page sends with a user id: hex HMAC-SHA256 of the id, keyed with a secret key.
    public static func identityHash(of userId: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(userId.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `hash` is the id's HMAC under one of the secret keys (compared in constant time).
    func verifies(userId: String, hash: String) -> Bool {
        guard let given = Self.bytes(hex: hash) else { return false }
        for secret in secretKeys {
            let key = SymmetricKey(data: Data(secret.utf8))
            if HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(userId.utf8), using: key) { return true }
        }
        return false
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Compares in time independent of where the texts differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The key a request presents: a bearer token, else `X-Stagecraft-Key`, else `?key=`; and whether it came in
    /// `Authorization`.
    static func presentedKey(_ request: Request) -> (key: String?, inAuthorization: Bool) {
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return (String(parts[1]).trimmingCharacters(in: .whitespaces), true) }
        }
        if let header = request.headers[HTTPField.Name("X-Stagecraft-Key")!] { return (header, false) }
        return (request.uri.queryParameters["key"].map(String.init), false)
    }

    /// What the request's key grants.
    func grant(for request: Request) -> Grant {
        if isOpen { return .open }
        let (key, inAuthorization) = Self.presentedKey(request)
        guard let key, !key.isEmpty else { return .none }
        if secretKeys.contains(where: { Self.constantTimeEqual($0, key) }) {
            // A secret key in a URL or a browser's header ends up in logs, histories and pages: it is refused there.
            return inAuthorization ? .secret : .misplacedSecret
        }
        if publishableKeys.contains(where: { Self.constantTimeEqual($0, key) }) { return .publishable }
        return .invalid
    }

    /// Whether a page at `origin` may call with a publishable key: an allowed origin, or the server's own.
    func allows(origin: String, host: String?) -> Bool {
        let o = origin.hasSuffix("/") ? String(origin.dropLast()) : origin
        if allowedOrigins.contains("*") || allowedOrigins.contains(o) { return true }
        if let host, let url = URL(string: o), let h = url.host {
            return (url.port.map { "\(h):\($0)" } ?? h) == host
        }
        return false
    }
}

extension AccessKeys {
    /// What the request's key grants on a route that takes secret keys, or also publishable ones (`allowed`); or the
    /// problem that refuses it.
    func authorize(_ request: Request, publishable allowed: Bool) throws -> Grant {
        let given = grant(for: request)
        switch given {
        case .open, .secret:
            return given
        case .publishable:
            guard allowed else {
                throw Problem.forbidden("secret_key_required", "this endpoint takes a secret key; publishable keys are for blocks, decisions, tours and interactions")
            }
            if let origin = request.headers[.origin], !allows(origin: origin, host: request.head.authority) {
                throw Problem.forbidden("origin_not_allowed", "the origin \(origin) is not in the allowed origins (STAGECRAFT_ALLOWED_ORIGINS)")
            }
            return given
        case .none:
            throw Problem.unauthorized("send a key: Authorization: Bearer <key>")
        case .misplacedSecret:
            var p = Problem(.unauthorized, "secret_key_misplaced",
                            "a secret key goes in the Authorization header only (Authorization: Bearer <key>), never in ?key= or "
                                + "X-Stagecraft-Key; this one has been sent where logs and pages keep it: rotate it")
            p.headers[.wwwAuthenticate] = "Bearer realm=\"stagecraft\""
            throw p
        case .invalid:
            var p = Problem(.unauthorized, "invalid_key", "the key is not one of this server's keys")
            p.headers[.wwwAuthenticate] = "Bearer realm=\"stagecraft\", error=\"invalid_token\""
            throw p
        }
    }
}

/// The key check in front of a group of routes: secret keys only, or publishable ones too (from allowed origins).
/// The grant goes on in the request context, for handlers that treat browsers apart (identity verification).
struct KeyMiddleware: RouterMiddleware {
    typealias Context = StagecraftRequestContext

    enum Access: Sendable {
        /// Servers: secret keys.
        case secret
        /// Browsers too: publishable keys, besides secret ones.
        case publishable
    }

    let keys: AccessKeys
    let access: Access
    let limiters: RateLimiters
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.grant = try keys.authorize(request, publishable: access == .publishable)
        try limiters.check(request, grant: context.grant, key: AccessKeys.presentedKey(request).key,
                           peer: context.channel.remoteAddress?.ipAddress, metrics: metrics)
        return try await next(request, context)
    }
}

/// What a request may do.
enum Grant: Sendable {
    /// No keys configured (loopback only): everything.
    case open
    case secret
    case publishable
    /// No key given.
    case none
    /// A key that is not one of ours.
    case invalid
    /// A secret key sent where publishable keys go (`?key=`, `X-Stagecraft-Key`).
    case misplacedSecret
}

extension AccessKeys {
    /// Host names that mean this machine.
    static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "::1"]

    /// The host of a `Host` header or an origin's authority, without its port or IPv6 brackets, lowercased.
    static func hostName(_ authority: Substring) -> String {
        var host = authority
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return host.lowercased()
    }

    /// With no keys, the server answers this machine only: a `Host` naming anything else is a page on another site
    /// that had its name pointed at 127.0.0.1 (DNS rebinding), unless it is an allowed origin's host.
    func refusesOpenAccess(host: String) -> Bool {
        let name = Self.hostName(host[...])
        if Self.loopbackHosts.contains(name) || allowedOrigins.contains("*") { return false }
        return !allowedOrigins.contains { URL(string: $0)?.host?.lowercased() == name }
    }
}

/// CORS for browser calls: an allowed origin gets its `Access-Control-Allow-Origin`, and preflights are answered
/// here. Other origins get no CORS headers (the browser then blocks the page from reading the answer).
///
/// With no keys every call is let through, so no page may make one but the server's own (the studio) and the
/// allowed origins: any other origin, `null` among them, is refused before the route runs. Without that, any site
/// the developer visits could post events or profiles to their local server with a form or a `text/plain` fetch,
/// which need no preflight.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: AccessKeys

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if keys.isOpen {
            if let host = request.head.authority, keys.refusesOpenAccess(host: host) {
                throw Problem.forbidden("host_not_allowed", "with no keys configured this server answers localhost only, not \(host); "
                    + "set STAGECRAFT_SECRET_KEYS, or list the site in STAGECRAFT_ALLOWED_ORIGINS")
            }
            if let origin = request.headers[.origin], !keys.allows(origin: origin, host: request.head.authority) {
                throw Problem.forbidden("origin_not_allowed", "with no keys configured only this server's own pages and the "
                    + "origins in STAGECRAFT_ALLOWED_ORIGINS may call it, not \(origin)")
            }
        }
        guard let origin = request.headers[.origin], keys.allows(origin: origin, host: request.head.authority) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, X-Stagecraft-Key"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        do {
            var response = try await next(request, context)
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
            return response
        } catch let error as Problem {
            var p = error
            p.headers[.accessControlAllowOrigin] = origin
            p.headers[.vary] = "Origin"
            // A page's script may read how long to wait after a 429.
            if p.headers[.retryAfter] != nil { p.headers[.accessControlExposeHeaders] = "Retry-After" }
            throw p
        }
    }
}
