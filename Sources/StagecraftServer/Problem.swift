import Foundation
import Hummingbird
import Liquid
import Localization
import Personalization
import Storage

/// An RFC 9457 problem: every error the API answers with, as `application/problem+json`, saying what to fix.
public struct Problem: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// A short stable identifier, also the last part of `type` (`invalid_json`, `unknown_placement`...).
    public let code: String
    public let detail: String
    /// Extra members (`errors` with positions, `allowed`...).
    public var extra: [(String, Value)] = []
    /// Headers to add (`WWW-Authenticate`, `Allow`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, extra: [(String, Value)] = []) {
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra
    }

    public var description: String { "\(status.code) \(code): \(detail)" }

    /// The problem as a JSON value.
    public var value: Value {
        var o = LiquidObject([
            ("type", .string("https://stagecraft.dev/problems/\(code.replacingOccurrences(of: "_", with: "-"))")),
            ("title", .string(status.reasonPhrase)),
            ("status", .int(status.code)),
            ("code", .string(code)),
            ("detail", .string(detail)),
        ])
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: JSON.serializeBytes(value))))
    }

    // MARK: The common ones

    /// The tag `text` read as a locale, or a 400 `invalid_locale` naming it and the field (or parameter) it came in.
    static func locale(_ text: String, field: String) throws(Problem) -> LocaleTag {
        do {
            return try LocaleTag(parsing: text)
        } catch {
            throw Problem(.badRequest, "invalid_locale", "\(field): \(error)", extra: [("field", .string(field))])
        }
    }

    /// An inline `profile` that does not read: a 400 `invalid_locale` when its locale is not a language tag (as
    /// wherever a locale is sent), else a 422 `invalid_profile`; both name the field.
    static func inlineProfile(_ error: ProfileError) -> Problem {
        error.isInvalidLocale
            ? Problem(.badRequest, "invalid_locale", "profile: \(error.message)", extra: [("field", "profile.locale")])
            : unprocessable("invalid_profile", "profile: \(error.message)", extra: [("field", "profile")])
    }

    /// The store out of reach for now: nothing was changed, and the same request may be made again.
    static func unavailable(_ error: StoreUnavailable) -> Problem {
        var p = Problem(.serviceUnavailable, "store_unavailable", "\(error.description); nothing was changed, try again")
        p.headers[.retryAfter] = String(error.retryAfter)
        return p
    }

    static func badRequest(_ code: String, _ detail: String, extra: [(String, Value)] = []) -> Problem {
        Problem(.badRequest, code, detail, extra: extra)
    }

    static func notFound(_ code: String, _ detail: String, extra: [(String, Value)] = []) -> Problem {
        Problem(.notFound, code, detail, extra: extra)
    }

    static func unprocessable(_ code: String, _ detail: String, extra: [(String, Value)] = []) -> Problem {
        Problem(.unprocessableContent, code, detail, extra: extra)
    }

    static func unauthorized(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, "missing_key", detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"stagecraft\""
        return p
    }

    static func forbidden(_ code: String, _ detail: String) -> Problem {
        Problem(.forbidden, code, detail)
    }
}
