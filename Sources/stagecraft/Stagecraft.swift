import ArgumentParser

/// The `stagecraft` command line.
@main
struct Stagecraft: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stagecraft",
        abstract: "Personalization and template rendering server.",
        subcommands: [ServeCommand.self, CheckCommand.self, PreviewCommand.self, RenderCommand.self, ValidateCommand.self, BenchCommand.self, BenchHTMLCommand.self,
                      BenchDecisionsCommand.self, BenchServeCommand.self, BenchEmailCommand.self, BenchResultsCommand.self, ResultsCommand.self]
    )
}
