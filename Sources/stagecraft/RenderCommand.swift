import ArgumentParser
import Content
import Diagnostics
import Foundation
import Liquid
import Personalization

/// `stagecraft render`: one template against one JSON data file, or a stream of JSON requests.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a Liquid template with JSON data.",
        discussion: """
            With --jsonl, reads one JSON request per line on standard input:
              {"template": "<source>", "data": {...}, "partials": {"name": "<source>"},
               "error_mode": "strict", "strict_variables": false, "strict_filters": false, "autoescape": false}
            and writes one line per request, in order: {"output": "..."} or
            {"error": {"message": "...", "line": N, "column": N}}.
            """
    )

    @Argument(help: "The template: a file path, or a name under --templates (the .liquid extension may be left out).")
    var template: String?

    @Option(name: .long, help: "A JSON file with the render's variables.")
    var data: String?

    @Option(name: .long, help: "Where partials named by render and include are found.")
    var templates: String = "templates"

    @Flag(name: .long, help: "Read JSON requests from standard input, one per line.")
    var jsonl = false

    @Flag(name: .long, help: "Undefined variables are errors.")
    var strictVariables = false

    @Flag(name: .long, help: "Unknown filters are errors.")
    var strictFilters = false

    @Flag(name: .long, help: "HTML-escape every output unless it went through escape or raw.")
    var autoescape = false

    @Option(name: .long, help: "Parse strictness: strict or lax.")
    var errorMode: String = "strict"

    @Option(name: .long, help: "Default time zone for the date filter, such as Europe/Paris.")
    var timezone: String?

    func validate() throws {
        if !jsonl && template == nil { throw ValidationError("Name a template, or use --jsonl.") }
        if jsonl && template != nil { throw ValidationError("--jsonl reads templates from standard input; name none.") }
        if ErrorMode(rawValue: errorMode) == nil { throw ValidationError("--error-mode is strict or lax.") }
        if let timezone, TimeZone(identifier: timezone) == nil { throw ValidationError("Unknown time zone '\(timezone)'.") }
    }

    func run() throws {
        if jsonl {
            JSONLRenderer().run()
            return
        }
        let options = RenderOptions(strictVariables: strictVariables, strictFilters: strictFilters, autoescape: autoescape,
                                    timeZone: timezone.flatMap(TimeZone.init(identifier:)))
        let environment = Environment(loader: FileSystemLoader(root: templates), errorMode: ErrorMode(rawValue: errorMode)!)
        do {
            let (path, text) = try readTemplate(template!)
            // Message templates start with front matter; errors still count lines from the top of the file.
            var body = text
            var firstLine = 1
            if case .some(_, let rest, let line) = FrontMatter.split(text) {
                body = rest
                firstLine = line
            }
            let parsed = try environment.parse(body, name: path, firstLine: firstLine)
            let variables = try data.map(readData) ?? .object(LiquidObject())
            let output = try parsed.render(variables, options: options)
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch let error as LiquidError {
            // `file:line:column: error: ... [code]` as every command says a problem, with the line and a caret.
            let text = error.line == nil ? [error.description]
                : [error.diagnostic(file: error.templateName).description, error.excerpt].compactMap { $0 }
            FileHandle.standardError.write(Data((text.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(1)
        }
    }

    private func readTemplate(_ name: String) throws -> (path: String, text: String) {
        let candidates = [name, templates + "/" + name, templates + "/" + name + ".liquid"]
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let text = String(validating: data, as: UTF8.self) else {
                throw ValidationError("\(path) is not readable UTF-8 text.")
            }
            return (path, text)
        }
        throw ValidationError("No template '\(name)' (looked in the current folder and in \(templates)/).")
    }

    private func readData(_ path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("Cannot read data file \(path).")
        }
        do {
            return try JSON.parse(bytes: Array(data))
        } catch {
            throw ValidationError("\(path): \(error)")
        }
    }
}
