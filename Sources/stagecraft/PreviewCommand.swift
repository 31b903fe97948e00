import ArgumentParser
import Content
import Delivery
import Diagnostics
import Foundation
import HTMLCheck
import Liquid
import Personalization

/// `stagecraft preview`: a message rendered for a sample profile as the server would serve it: the content set
/// loaded and checked, the user's facts and stage, the decision with its trace, the render (escaped), the HTML check.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Render a message of the content folder for a sample profile, with its decision and HTML check."
    )

    @Argument(help: "The message template, by name (emails/welcome) or file path.")
    var template: String

    @Option(name: .long, help: "A sample profile: a name under the folder's profiles/, or a JSON file path.")
    var profile: String

    @Option(name: .long, help: "The content folder.")
    var templates: String = "templates"

    @Option(name: .long, help: "State the user's stage instead of deriving it.")
    var stage: String?

    @Option(name: .long, help: "The moment to decide and render at (ISO 8601); now by default.")
    var at: String?

    @Flag(name: .long, help: "Undefined variables are errors.")
    var strict = false

    @Flag(name: .long, help: "For an email, print its plain-text version instead of the HTML.")
    var textOnly = false

    @Flag(name: .long, help: "Print the decision trace (every candidate and why it lost) to standard error.")
    var trace = false

    func run() throws {
        let content: ContentSet
        do {
            content = try ContentSet.load(directory: templates, channels: Channels.rules)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        for warning in content.warnings { printError(warning.description) }
        var name = template.hasSuffix(".liquid") ? String(template.dropLast(7)) : template
        if name.hasPrefix(templates + "/") { name = String(name.dropFirst(templates.count + 1)) }
        guard let message = content.messages[name] else {
            throw ValidationError("no message template \"\(name)\" in \(templates); there are: "
                + content.messages.keys.sorted().joined(separator: ", "))
        }
        let user = try loadProfile(content)
        var now = Date()
        if let at {
            guard let date = Timestamp.parse(at) else { throw ValidationError("--at wants an ISO 8601 time such as 2026-11-23T09:00:00Z") }
            now = date
        }
        if let stage, !content.stageRules.stages.contains(stage) {
            throw ValidationError("unknown stage \"\(stage)\"; the stages are \(content.stageRules.stages.joined(separator: ", "))")
        }
        let moment = UserMoment(profile: user, now: now, stageRules: content.stageRules, statedStage: stage)

        let delivery: DeliveryContent
        do {
            delivery = try DeliveryContent(content, loadedAt: now)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        // Decided and rendered as the server serves it (the preview endpoint makes the same call): the decision this
        // message would get now (its placement's, or its own), and the message whatever that decision is.
        var options = DeliveryOptions(depth: .full, renderRejected: true, strict: strict)
        options.locateProblems = true
        let outcome = delivery.deliver(.message(message), to: moment, history: InteractionHistory(), options: options)[0]
        printError("stage: \(moment.stage.stage)\(moment.stage.stated ? " (stated)" : "")")
        if message.campaign.isDefault {
            printError("decision: \(message.campaign.id) is the default of \(message.campaign.placement ?? "")")
        } else if let verdict = outcome.rejection {
            printError("decision: \(message.campaign.id) would not be shown now: \(verdict)")
        } else {
            printError("decision: \(message.campaign.id) is chosen for \(outcome.decision.target)")
        }
        if trace {
            for t in outcome.decision.trace {
                printError("  \(t.campaign) (priority \(t.priority)): \(t.rejection.map { "\($0.code): \($0)" } ?? "chosen")")
            }
        }

        /// The checker's report on an email or a block (a tour's steps are each checked on the way).
        var report: HTMLReport?
        switch outcome.output {
        case .email(let email, let checked)?:
            report = checked
            print("Subject: \(email.subject)")
            if let preheader = email.preheader { print("Preheader: \(preheader)") }
            for (name, value) in email.headers { print("\(name): \(value)") }
            print("")
            print(textOnly ? email.text : email.html)
        case .block(let block)?:
            report = block.report
            print(block.html)
        case .tour(let steps)?:
            for (i, step) in steps.enumerated() {
                print("<!-- step \(i + 1) of \(steps.count): \(step.target), \(step.position.rawValue) -->")
                print(step.html)
            }
        case .fields(let rendered)?:
            for (name, value) in rendered.fields { print("\(name): \(value)") }
            for d in rendered.diagnostics { printError(d.inFolder(templates).description) }
            if rendered.diagnostics.hasErrors { throw ExitCode(1) }
        case nil:
            for d in outcome.failures.flatMap(\.diagnostics) { printError(d.inFolder(templates).description) }
            throw ExitCode(1)
        }
        // At the template line that wrote it, else (when the mapped render could not place it) in the output.
        for d in report?.diagnostics ?? [] { printError(d.inFolder(templates).description) }
        if report?.isValid == false { throw ExitCode(1) }
    }

    private func loadProfile(_ content: ContentSet) throws -> Profile {
        if let sample = content.profiles[profile] { return sample }
        guard FileManager.default.fileExists(atPath: profile) else {
            throw ValidationError("no sample profile \"\(profile)\"; there are: " + content.profiles.keys.sorted().joined(separator: ", "))
        }
        let text = try String(contentsOfFile: profile, encoding: .utf8)
        do {
            return try Profile(json: JSON.parse(text))
        } catch {
            throw ValidationError("\(profile): \(error)")
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

extension Diagnostic {
    /// The problem with its file named from the working folder (`templates/emails/welcome.liquid`); one in a
    /// render's output is in `output`.
    func inFolder(_ folder: String) -> Diagnostic {
        var copy = self
        let prefix = folder == "." || folder.isEmpty ? "" : (folder.hasSuffix("/") ? folder : folder + "/")
        copy.location.file = file.map { prefix + $0 } ?? "output"
        return copy
    }
}
