import ArgumentParser
import Diagnostics
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

    @OptionGroup var channel: ChannelOption

    func run() throws {
        var failed = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file): error: cannot read the file")
                failed = true
                continue
            }
            let report = HTMLValidator.validate(bytes: Array(data), channel: channel.value)
            for var d in report.diagnostics {
                d.location.file = file
                print(d.description)
            }
            if !report.isValid { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}
