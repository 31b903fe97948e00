import Foundation
import Liquid

/// Renders one JSON request per input line, writing one JSON result per line in the same order.
/// A bad request yields an error line and never stops the ones after it.
struct JSONLRenderer {
    func run() {
        var out = ""
        while let line = readLine(strippingNewline: true) {
            if line.allSatisfy(\.isWhitespace) { continue }
            out = respond(to: line)
            out += "\n"
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    func respond(to line: String) -> String {
        let request: LiquidObject
        do {
            guard case .object(let o) = try JSON.parse(line) else {
                return failure("request must be a JSON object")
            }
            request = o
        } catch {
            return failure("invalid JSON request: \(error)")
        }
        guard case .string(let source)? = request["template"] else {
            return failure("request needs a \"template\" string")
        }
        var partials: [String: String] = [:]
        if case .object(let p)? = request["partials"] {
            for (name, value) in p.pairs {
                guard case .string(let s) = value else { return failure("partial \"\(name)\" must be a string") }
                partials[name] = s
            }
        }
        let modeName = request["error_mode"]?.stringValue ?? "strict"
        guard let mode = ErrorMode(rawValue: modeName) else {
            return failure("error_mode must be \"strict\" or \"lax\"")
        }
        let options = RenderOptions(strictVariables: request["strict_variables"]?.isTruthy ?? false,
                                    strictFilters: request["strict_filters"]?.isTruthy ?? false,
                                    autoescape: request["autoescape"]?.isTruthy ?? false)
        let environment = Environment(loader: DictionaryLoader(partials), errorMode: mode)
        do {
            let template = try environment.parse(source, errorMode: mode)
            let output = try template.render(request["data"] ?? .object(LiquidObject()), options: options)
            return JSON.serialize(["output": .string(output)])
        } catch {
            var detail: [(String, Value)] = [("message", .string(error.message)), ("kind", .string(error.kind.rawValue))]
            if let name = error.templateName { detail.append(("template", .string(name))) }
            detail.append(("line", error.line.map { .int($0) } ?? .null))
            detail.append(("column", error.column.map { .int($0) } ?? .null))
            return JSON.serialize(["error": .object(LiquidObject(detail))])
        }
    }

    func failure(_ message: String) -> String {
        JSON.serialize(["error": ["message": .string(message), "line": .null, "column": .null]])
    }
}
