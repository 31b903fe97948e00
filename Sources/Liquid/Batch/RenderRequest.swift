/// One render of a JSON-lines batch: a template source with its data, partials and options.
///
/// The wire form, every field but `template` optional:
/// ```json
/// {"template": "Hi {{ name }}", "data": {"name": "Ada"}, "partials": {"footer": "..."},
///  "error_mode": "strict", "strict_variables": false, "strict_filters": false, "autoescape": false}
/// ```
public struct RenderRequest: Sendable {
    public var template: String
    public var data: Value
    public var partials: [String: String]
    public var errorMode: ErrorMode
    public var options: RenderOptions

    /// Reads a request from its JSON object.
    /// - Throws: ``LiquidError`` of kind `argument` naming the field that is wrong.
    public init(json: Value) throws(LiquidError) {
        guard case .object(let o) = json else { throw LiquidError.argument("request must be a JSON object") }
        guard case .string(let source)? = o["template"] else {
            throw LiquidError.argument("request needs a \"template\" string")
        }
        template = source
        data = o["data"] ?? .object(LiquidObject())
        guard data.objectValue != nil || data.isNil else { throw LiquidError.argument("\"data\" must be an object") }
        partials = [:]
        if let p = o["partials"], !p.isNil {
            guard case .object(let named) = p else { throw LiquidError.argument("\"partials\" must be an object") }
            for (name, value) in named.pairs {
                guard case .string(let s) = value else { throw LiquidError.argument("partial \"\(name)\" must be a string") }
                partials[name] = s
            }
        }
        let mode = o["error_mode"] ?? .string("strict")
        guard case .string(let modeName) = mode, let parsedMode = ErrorMode(rawValue: modeName) else {
            throw LiquidError.argument("\"error_mode\" must be \"strict\" or \"lax\"")
        }
        errorMode = parsedMode
        func flag(_ name: String) throws(LiquidError) -> Bool {
            switch o[name] {
            case nil, .null?: return false
            case .bool(let b)?: return b
            default: throw LiquidError.argument("\"\(name)\" must be true or false")
            }
        }
        options = RenderOptions(strictVariables: try flag("strict_variables"), strictFilters: try flag("strict_filters"),
                                autoescape: try flag("autoescape"))
    }

    /// Parses and renders the request.
    public func render() throws(LiquidError) -> String {
        let environment = Environment(loader: DictionaryLoader(partials), errorMode: errorMode)
        return try environment.parse(template).render(data, options: options)
    }

    /// The JSON-lines answer to one input line: `{"output": ...}` or `{"error": {...}}`. Never throws, so one
    /// bad line cannot stop a batch.
    public static func respond(toLine line: String) -> String {
        do {
            let request = try RenderRequest(json: try parseJSON(line))
            return JSON.serialize(["output": .string(try request.render())])
        } catch {
            return JSON.serialize(["error": .object(error.jsonObject)])
        }
    }

    private static func parseJSON(_ line: String) throws(LiquidError) -> Value {
        do {
            return try JSON.parse(line)
        } catch {
            throw LiquidError.argument("invalid JSON request: \(error)")
        }
    }
}

extension LiquidError {
    /// `{"message", "kind", "template", "line", "column"}` for JSON answers; line and column are null when unknown.
    public var jsonObject: LiquidObject {
        var detail: [(String, Value)] = [("message", .string(message)), ("kind", .string(kind.code))]
        if let templateName { detail.append(("template", .string(templateName))) }
        detail.append(("line", line.map { .int($0) } ?? .null))
        detail.append(("column", column.map { .int($0) } ?? .null))
        return LiquidObject(detail)
    }
}
