import ArgumentParser
import Delivery
import Diagnostics
import Foundation
import Liquid
import Personalization

/// `stagecraft check [DIR]`: the content folder checked as a whole before it goes live, for its authors' CI.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a content folder: parse it, render every message for every sample profile at every stage "
            + "(strict), validate the HTML, and report missing partials and rules, unknown profile fields, campaigns "
            + "that can never win and placements without a default.",
        discussion: "Prints file:line:col: error|warning: message, one per line, and a summary on standard error; "
            + "exits 1 when there is an error (with --strict, a warning too)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The content folder.")
    var directory: String = "templates"

    @Option(name: .long, help: "text (file:line:col lines) or json.")
    var format: Format = .text

    @Option(name: .long, help: "The moment to render at (ISO 8601); now by default.")
    var at: String?

    @Flag(name: .long, help: "Warnings fail the check too.")
    var strict = false

    func run() throws {
        var now = Date()
        if let at {
            guard let date = Timestamp.parse(at) else { throw ValidationError("--at wants an ISO 8601 time such as 2026-11-23T09:00:00Z") }
            now = date
        }
        guard FileManager.default.fileExists(atPath: directory) else {
            throw ValidationError("no folder \(directory)")
        }
        let check = ContentCheck.run(directory: directory, now: now)
        let prefix = directory == "." ? "" : (directory.hasSuffix("/") ? directory : directory + "/")
        let findings = check.findings.map { $0.inFolder(directory) }
        switch format {
        case .text:
            for f in findings { print(f.description) }
            let summary = "\(check.errorCount) \(check.errorCount == 1 ? "error" : "errors"), "
                + "\(check.warningCount) \(check.warningCount == 1 ? "warning" : "warnings"); "
                + "\(check.messages.count) messages rendered \(check.renders) times "
                + "(\(check.profiles.count) sample profiles x \(check.stages.count) stages"
                + (check.locales.count > 1 ? " x \(check.locales.count) locales)" : ")")
            FileHandle.standardError.write(Data((summary + "\n").utf8))
            if check.locales.count > 1 {
                // Each locale's share of the keys the templates use.
                let shares = check.locales.map { c in
                    "\(c.locale) \(c.translated)/\(c.keys)" + (c.missing.isEmpty ? "" : " (\(c.missing.count) missing)")
                }
                FileHandle.standardError.write(Data(("translations: " + shares.joined(separator: ", ") + "\n").utf8))
            }
        case .json:
            let messages: [Value] = check.messages.map { m in
                .object(LiquidObject([("file", .string(prefix + m.file)), ("campaign", .string(m.campaign)),
                                      ("channel", .string(m.channel)), ("profile_fields", .array(m.profileFields.map(Value.string))),
                                      ("renders", .int(m.renders))]))
            }
            let document = Value.object(LiquidObject([
                ("errors", .int(check.errorCount)), ("warnings", .int(check.warningCount)), ("renders", .int(check.renders)),
                ("profiles", .array(check.profiles.map(Value.string))), ("stages", .array(check.stages.map(Value.string))),
                ("findings", .array(findings.map(\.value))), ("messages", .array(messages)),
                ("locales", .array(check.locales.map { c in
                    .object(LiquidObject([("locale", .string(c.locale.identifier)), ("file", c.file.map { .string(prefix + $0) } ?? .null),
                                          ("keys", .int(c.keys)), ("translated", .int(c.translated)),
                                          ("coverage", .double(c.keys == 0 ? 1 : (Double(c.translated) / Double(c.keys) * 1000).rounded() / 1000)),
                                          ("missing", .array(c.missing.map(Value.string)))]))
                })),
            ]))
            print(JSON.serialize(document))
        }
        if check.errorCount > 0 || (strict && check.warningCount > 0) { throw ExitCode(1) }
    }
}
