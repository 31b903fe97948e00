import ArgumentParser
import Foundation
import HTMLCheck

/// `stagecraft validate`: checks HTML files as the server checks what it serves.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check HTML files; prints file:line:col: severity: message and exits 1 on any error."
    )

    @Argument(help: "HTML files to check.")
    var files: [String]

    @Option(name: .long, help: "web (a fragment for a placement) or email (a whole document).")
    var channel: String = "web"

    func validate() throws {
        if HTMLChannel(rawValue: channel) == nil { throw ValidationError("--channel is web or email.") }
    }

    func run() throws {
        var failed = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file): error: cannot read the file")
                failed = true
                continue
            }
            let report = HTMLValidator.validate(bytes: Array(data), channel: HTMLChannel(rawValue: channel)!)
            for d in report.diagnostics {
                print("\(file):\(d.line):\(d.column): \(d.severity.rawValue): \(d.message) [\(d.code)]")
            }
            if !report.isValid { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}
