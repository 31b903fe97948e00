import ArgumentParser
import Crypto
import Foundation
import Liquid

/// `stagecraft bench`: the render benchmark, run exactly as the peer runners in ../shared/bench/peers run it.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Render a benchmark corpus and print the same six lines as the peer engines' runners."
    )

    @Argument(help: "The corpus folder (with manifest.json).")
    var corpus: String

    @Option(name: .long, help: "How long to keep rendering whole passes after the first.")
    var seconds: Double = 5

    @Option(name: .long, help: "Render exactly this many timed passes instead of timing by --seconds (for instruction counts).")
    var passes: Int?

    @Option(name: .long, help: "Write the first pass's outputs here, joined by a newline, NUL, newline.")
    var output: String?

    func run() throws {
        let root = URL(fileURLWithPath: corpus)
        let manifest = try readJSON(root.appendingPathComponent("manifest.json"))
        guard case .array(let names)? = manifest.objectValue?["templates"],
              case .string(let contextsPath)? = manifest.objectValue?["contexts"],
              case .string(let partialsRoot)? = manifest.objectValue?["partials_root"]
        else { throw ValidationError("manifest.json lacks templates, contexts or partials_root") }
        let templatesRoot = root.appendingPathComponent(partialsRoot)
        guard case .array(let contexts) = try readJSON(root.appendingPathComponent(contextsPath)) else {
            throw ValidationError("contexts file is not a JSON array")
        }
        let environment = Environment(loader: FileSystemLoader(root: templatesRoot.path), errorMode: .strict)

        let parseStart = ContinuousClock.now
        var templates: [Template] = []
        for case .string(let name) in names {
            let source = try String(contentsOf: templatesRoot.appendingPathComponent(name), encoding: .utf8)
            templates.append(try environment.parse(source, name: name))
        }
        let parseSeconds = (ContinuousClock.now - parseStart).seconds

        var hasher = SHA256()
        var outputs: [String] = []
        let strict = RenderOptions(strictFilters: true)
        for template in templates {
            for context in contexts {
                let rendered = try template.render(context, options: strict)
                hasher.update(data: Data(rendered.utf8))
                if output != nil { outputs.append(rendered) }
            }
        }
        if let output {
            try outputs.joined(separator: "\n\0\n").write(toFile: output, atomically: true, encoding: .utf8)
        }
        let checksum = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        let options = RenderOptions()
        var renders = 0
        // Each render gets a fresh buffer, as each Ruby render gets a fresh string, sized as Template.render sizes it.
        let capacities = templates.map { max(256, $0.source.utf8.count * 2) }
        let start = ContinuousClock.now
        var elapsed = 0.0
        var passesDone = 0
        while passes.map({ passesDone < $0 }) ?? (elapsed < seconds) {
            passesDone += 1
            for (template, capacity) in zip(templates, capacities) {
                for context in contexts {
                    var buffer = OutputBuffer(capacity: capacity)
                    try template.render(context, options: options, into: &buffer)
                }
            }
            renders += templates.count * contexts.count
            elapsed = (ContinuousClock.now - start).seconds
        }
        print("engine: stagecraft-liquid")
        print("parse_seconds: \(String(format: "%.6f", parseSeconds))")
        print("renders: \(renders)")
        print("seconds: \(String(format: "%.3f", elapsed))")
        print("renders_per_sec: \(String(format: "%.1f", Double(renders) / elapsed))")
        print("checksum: \(checksum)")
    }

    private func readJSON(_ url: URL) throws -> Value {
        try JSON.parse(bytes: Array(try Data(contentsOf: url)))
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
