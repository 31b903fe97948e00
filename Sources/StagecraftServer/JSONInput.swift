import Content
import Foundation
import Hummingbird
import Liquid
import Localization
import Personalization

/// Reading request bodies: size limit, content type, UTF-8, JSON, an object at the top; each failure a problem
/// that says what to fix.
enum JSONInput {
    static func body(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem(.contentTooLarge, "body_too_large", "the body is over the limit of \(limit) bytes",
                          extra: [("limit", .int(limit))])
        }
        return Array(buffer.readableBytesView)
    }

    /// The body as a JSON object.
    static func object(_ request: inout Request, limit: Int) async throws -> LiquidObject {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json"),
           !type.lowercased().hasPrefix("application/merge-patch+json")
        {
            throw Problem(.unsupportedMediaType, "unsupported_media_type",
                          "send the body as application/json, not \(type)")
        }
        let bytes = try await body(&request, limit: limit)
        return try parseObject(bytes)
    }

    static func parseObject(_ bytes: [UInt8], what: String = "the body") throws -> LiquidObject {
        guard !bytes.isEmpty else { throw Problem.badRequest("empty_body", "\(what) is empty; send a JSON object") }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            let offset = firstInvalidUTF8(bytes)
            throw Problem.badRequest("invalid_utf8", "\(what) is not valid UTF-8 (at byte \(offset))",
                                     extra: [("offset", .int(offset))])
        }
        let value: Value
        do {
            value = try JSON.parse(bytes: bytes, rejectingDuplicateKeys: true)
        } catch {
            let (line, column) = position(of: error.offset, in: bytes)
            throw Problem.badRequest("invalid_json", "\(what) is not valid JSON: \(error.message) at line \(line), column \(column)",
                                     extra: [("line", .int(line)), ("column", .int(column))])
        }
        guard case .object(let o) = value else {
            throw Problem.badRequest("invalid_json", "\(what) must be a JSON object, not \(JSONFields.kind(of: value))")
        }
        return o
    }

    /// Where the first byte that does not start a well-formed UTF-8 sequence sits.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            if b < 0x80 {
                i += 1
                continue
            } else if b >= 0xC2, b <= 0xDF {
                length = 2
            } else if b & 0xF0 == 0xE0 {
                length = 3
            } else if b >= 0xF0, b <= 0xF4 {
                length = 4
            } else {
                return i
            }
            guard i + length <= bytes.count, String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil else { return i }
            i += length
        }
        return bytes.count
    }

    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for b in bytes.prefix(offset) {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}

/// A JSON object's members read with their types checked; unknown members are refused with a suggestion.
struct JSONFields {
    let object: LiquidObject
    /// Where the object sits, for messages (`events[3]`); empty for the body.
    let path: String
    private var read: Set<String> = []

    init(_ object: LiquidObject, path: String = "") {
        self.object = object
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func kind(of value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array, .range: return "an array"
        case .object: return "an object"
        default: return "a value"
        }
    }

    private func wrongType(_ key: String, _ wanted: String, _ got: Value) -> Problem {
        Problem.unprocessable("invalid_field", "\"\(name(key))\" must be \(wanted), not \(Self.kind(of: got))",
                              extra: [("field", .string(name(key)))])
    }

    func missing(_ key: String, _ wanted: String) -> Problem {
        Problem.unprocessable("missing_field", "\"\(name(key))\" is required (\(wanted))", extra: [("field", .string(name(key)))])
    }

    mutating func value(_ key: String) -> Value? {
        read.insert(key)
        guard let v = object[key], !v.isNil else { return nil }
        return v
    }

    /// - Parameter maxBytes: the longest value accepted, in UTF-8 bytes.
    mutating func string(_ key: String, required: Bool = false, nonEmpty: Bool = true, maxBytes: Int? = nil) throws -> String? {
        guard let v = value(key) else {
            if required { throw missing(key, "a string") }
            return nil
        }
        guard case .string(let s) = v else { throw wrongType(key, "a string", v) }
        if nonEmpty, s.isEmpty { throw Problem.unprocessable("invalid_field", "\"\(name(key))\" must not be empty",
                                                            extra: [("field", .string(name(key)))]) }
        if let maxBytes, s.utf8.count > maxBytes {
            throw Problem.unprocessable("invalid_field", "\"\(name(key))\" is longer than \(maxBytes) bytes", extra: [("field", .string(name(key)))])
        }
        return s
    }

    /// An id: a string, or an integer taken as its decimal text.
    mutating func id(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        switch v {
        case .string(let s):
            guard !s.isEmpty, s.unicodeScalars.count <= 256 else {
                throw Problem.unprocessable("invalid_field", "\"\(name(key))\" must be 1 to 256 characters",
                                            extra: [("field", .string(name(key)))])
            }
            return s
        case .int(let i): return String(i)
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return String(Int(d))
        default: throw wrongType(key, "a string", v)
        }
    }

    mutating func object(_ key: String) throws -> LiquidObject? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw wrongType(key, "an object", v) }
        return o
    }

    mutating func array(_ key: String) throws -> [Value]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw wrongType(key, "an array", v) }
        return a
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, "true or false", v) }
        return b
    }

    /// - Parameter latest: the latest time accepted (for what has happened already: an event, an interaction).
    mutating func time(_ key: String, notAfter latest: Date? = nil) throws -> Date? {
        guard let s = try string(key) else { return nil }
        guard let t = Timestamp.parse(s) else {
            throw Problem.unprocessable("invalid_field", "\"\(name(key))\" must be an RFC 3339 time such as 2026-11-23T09:30:00Z, not \"\(s)\"",
                                        extra: [("field", .string(name(key)))])
        }
        if t < Self.earliest || latest.map({ t > $0 }) == true {
            let bound = latest.map { " and \(Timestamp.format($0))" } ?? ""
            throw Problem.unprocessable("invalid_field", "\"\(name(key))\" must be between 1970-01-01T00:00:00Z\(bound), not \(s)",
                                        extra: [("field", .string(name(key)))])
        }
        return t
    }

    static let earliest = Date(timeIntervalSince1970: 0)
    /// How far ahead of the server's clock a reported time may be (a client's clock running fast).
    static let clockSkew: TimeInterval = 24 * 3600

    mutating func timeZone(_ key: String) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard TimeZone(identifier: s) != nil else {
            throw Problem.unprocessable("invalid_field", "\"\(name(key))\" must be an IANA zone such as Europe/Paris, not \"\(s)\"",
                                        extra: [("field", .string(name(key)))])
        }
        return s
    }

    /// A BCP 47 language tag, in canonical form (`fr_ca` is `fr-CA`); one that is not is a 400 naming it.
    mutating func locale(_ key: String) throws -> LocaleTag? {
        guard let s = try string(key) else { return nil }
        return try Problem.locale(s, field: name(key))
    }

    /// Refuses members nobody read, naming the closest known one.
    func finish(known extra: [String] = []) throws {
        for key in object.keys where !read.contains(key) && !extra.contains(key) {
            let candidates = Array(read) + extra
            var detail = "unknown field \"\(name(key))\""
            if let near = Suggestion.closest(to: key, in: candidates) { detail += "; did you mean \"\(name(near))\"?" }
            detail += " Known fields: " + candidates.sorted().joined(separator: ", ")
            throw Problem.unprocessable("unknown_field", detail, extra: [("field", .string(name(key)))])
        }
    }
}
