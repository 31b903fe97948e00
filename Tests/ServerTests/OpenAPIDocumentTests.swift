import Foundation
import Hummingbird
import HummingbirdTesting
import Liquid
import StagecraftServer
import Testing

/// The OpenAPI document against the server both ways: every route the router serves is documented, every documented
/// operation is served, and every example in it is valid against its schema.
@Suite struct OpenAPIDocumentTests {
    static func document() async throws -> LiquidObject {
        let h = try Harness()
        return try await h.test { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                #expect(r.status == .ok)
                return r.json
            }
        }
    }

    /// The documented operations: (method, path segments).
    static func operations(_ document: LiquidObject) -> [(method: String, path: [String])] {
        var list: [(String, [String])] = []
        let paths = document["paths"]?.objectValue ?? LiquidObject()
        for (path, item) in paths.pairs {
            for method in item.objectValue?.keys ?? [] where ["get", "put", "post", "patch", "delete"].contains(method) {
                list.append((method.uppercased(), path.split(separator: "/").map(String.init)))
            }
        }
        return list
    }

    /// Whether a documented path fits a route's pattern: `{name}` fits a parameter, `**` one or more segments.
    static func fits(_ documented: [String], _ pattern: [String]) -> Bool {
        func isParameter(_ s: String) -> Bool { s.hasPrefix("{") || s.hasPrefix(":") }
        for (i, element) in pattern.enumerated() {
            if element == "**" { return documented.count > i }
            guard i < documented.count else { return false }
            if isParameter(element) && isParameter(documented[i]) { continue }
            if element != documented[i] { return false }
        }
        return pattern.count == documented.count
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsServed() async throws {
        let document = try await Self.document()
        let documented = Self.operations(document)
        let h = try Harness()
        let routes = h.server.router().routes.map { (method: $0.method.rawValue, path: $0.path.components.map(\.description)) }
        #expect(routes.count >= 19)
        for route in routes {
            #expect(documented.contains { $0.method == route.method && Self.fits($0.path, route.path) },
                    "\(route.method) /\(route.path.joined(separator: "/")) is served but not documented")
        }
        for operation in documented {
            #expect(routes.contains { $0.method == operation.method && Self.fits(operation.path, $0.path) },
                    "\(operation.method) /\(operation.path.joined(separator: "/")) is documented but not served")
        }
    }

    @Test func everyExampleIsValidAgainstItsSchema() async throws {
        let document = try await Self.document()
        var checked = 0
        func walk(_ value: Value, at path: String) {
            switch value {
            case .object(let o):
                if let schema = o["schema"], let example = o["example"] {
                    let problems = SchemaCheck(document: document).problems(example, against: schema, at: "example")
                    #expect(problems.isEmpty, "\(path): \(problems)")
                    checked += 1
                }
                for (k, v) in o.pairs { walk(v, at: path + "/" + k) }
            case .array(let a):
                for (i, v) in a.enumerated() { walk(v, at: path + "/\(i)") }
            default:
                break
            }
        }
        walk(.object(document), at: "#")
        #expect(checked >= 17, "examples checked: \(checked)")
    }

    @Test func theSchemaCheckRefusesWhatItShould() throws {
        let document = try #require(try JSON.parse(#"""
            {"components": {"schemas": {"P": {"type": "object", "required": ["id"], "additionalProperties": false,
                                              "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}}}}}
            """#).objectValue)
        let check = SchemaCheck(document: document)
        let schema: Value = ["$ref": "#/components/schemas/P"]
        #expect(check.problems(["id": "a", "n": 1], against: schema, at: "x").isEmpty)
        #expect(!check.problems(["n": 1], against: schema, at: "x").isEmpty)
        #expect(!check.problems(["id": "a", "n": "1"], against: schema, at: "x").isEmpty)
        #expect(!check.problems(["id": "a", "other": true], against: schema, at: "x").isEmpty)
        #expect(!check.problems(.string("no"), against: ["type": ["object", "null"]], at: "x").isEmpty)
        #expect(check.problems(.null, against: ["type": ["object", "null"]], at: "x").isEmpty)
        #expect(!check.problems("c", against: ["type": "string", "enum": ["a", "b"]], at: "x").isEmpty)
        #expect(!check.problems([1, 2, 3], against: ["type": "array", "maxItems": 2], at: "x").isEmpty)
        #expect(!check.problems("", against: ["type": "string", "minLength": 1], at: "x").isEmpty)
        #expect(!check.problems("a\u{1}", against: ["type": "string", "pattern": "^[^\\u0000-\\u001f]+$"], at: "x").isEmpty)
        let either: Value = ["anyOf": [["required": ["a"]], ["required": ["b"]]], "not": ["required": ["a", "b"]]]
        #expect(check.problems(["a": 1], against: either, at: "x").isEmpty)
        #expect(!check.problems(["a": 1, "b": 2], against: either, at: "x").isEmpty)
        #expect(!check.problems(["c": 1], against: either, at: "x").isEmpty)
    }
}

/// The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the document uses: `$ref`, `type` (one or a list),
/// `enum`, `required`, `properties`, `additionalProperties`, `items`, `minItems`, `maxItems`, `minLength`,
/// `maxLength`, `pattern`, `oneOf`, `anyOf`, `allOf`, `not`, and the `date-time` format.
struct SchemaCheck {
    let document: LiquidObject

    func problems(_ value: Value, against schema: Value, at path: String) -> [String] {
        guard case .object(let s) = schema else { return [] }
        if let ref = s["$ref"]?.stringValue {
            var target: Value = .object(document)
            for part in ref.dropFirst(2).split(separator: "/") { target = target.objectValue?[String(part)] ?? .null }
            guard !target.isNil else { return ["\(path): \(ref) does not resolve"] }
            return problems(value, against: target, at: path)
        }
        if let options = s["oneOf"]?.arrayValue {
            let matching = options.filter { problems(value, against: $0, at: path).isEmpty }.count
            return matching == 1 ? [] : ["\(path): matches \(matching) of oneOf's \(options.count) schemas"]
        }
        var found: [String] = []
        if let options = s["anyOf"]?.arrayValue, !options.contains(where: { problems(value, against: $0, at: path).isEmpty }) {
            found.append("\(path): matches none of anyOf's \(options.count) schemas")
        }
        for part in s["allOf"]?.arrayValue ?? [] { found += problems(value, against: part, at: path) }
        if let excluded = s["not"], problems(value, against: excluded, at: path).isEmpty {
            found.append("\(path): matches the schema under not")
        }
        if let type = s["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            guard allowed.contains(where: { Self.isOf(value, $0) }) else { return ["\(path): \(JSON.serialize(value)) is not \(allowed)"] }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(where: { JSON.serialize($0) == JSON.serialize(value) }) {
            found.append("\(path): \(JSON.serialize(value)) is not one of \(JSON.serialize(.array(options)))")
        }
        if let text = value.stringValue {
            if case .int(let min)? = s["minLength"], text.unicodeScalars.count < min { found.append("\(path): shorter than \(min)") }
            if case .int(let max)? = s["maxLength"], text.unicodeScalars.count > max { found.append("\(path): longer than \(max)") }
            if let pattern = s["pattern"]?.stringValue {
                let regex = try? NSRegularExpression(pattern: pattern)
                if regex?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    found.append("\(path): \(text) does not match \(pattern)")
                }
            }
        }
        if s["format"]?.stringValue == "date-time", let text = value.stringValue, (try? Date(text, strategy: .iso8601)) == nil {
            found.append("\(path): \(text) is not a date-time")
        }
        if case .object(let o) = value {
            for key in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[key] == nil {
                found.append("\(path): \(key) is required")
            }
            let properties = s["properties"]?.objectValue ?? LiquidObject()
            for (key, item) in o.pairs {
                if let p = properties[key] {
                    found += problems(item, against: p, at: path + "." + key)
                } else if case .bool(false)? = s["additionalProperties"] {
                    found.append("\(path): \(key) is not a known property")
                } else if let extra = s["additionalProperties"], case .object = extra {
                    found += problems(item, against: extra, at: path + "." + key)
                }
            }
        }
        if case .array(let a) = value {
            if case .int(let min)? = s["minItems"], a.count < min { found.append("\(path): fewer than \(min) items") }
            if case .int(let max)? = s["maxItems"], a.count > max { found.append("\(path): more than \(max) items") }
            if let items = s["items"] {
                for (i, item) in a.enumerated() { found += problems(item, against: items, at: path + "[\(i)]") }
            }
        }
        return found
    }

    static func isOf(_ value: Value, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("integer", .int), ("number", .int), ("number", .double),
             ("object", .object), ("array", .array):
            return true
        default:
            return false
        }
    }
}
