import ArgumentParser
import HTMLCheck

/// `--channel web|email`, shared by the commands that check HTML.
struct ChannelOption: ParsableArguments {
    @Option(name: .long, help: "web (a fragment for a placement) or email (a whole document).")
    var channel: String = "web"

    func validate() throws {
        if HTMLChannel(rawValue: channel) == nil { throw ValidationError("--channel is web or email.") }
    }

    var value: HTMLChannel { HTMLChannel(rawValue: channel)! }
}
