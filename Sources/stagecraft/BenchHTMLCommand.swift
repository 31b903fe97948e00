import ArgumentParser
import Foundation
@_spi(Measurement) import HTMLCheck

/// `stagecraft bench-html`: what the HTML checks cost on top of libxml2's own parse, per file.
struct BenchHTMLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-html",
        abstract: "Time libxml2's bare parse and the full check on HTML files, alternating, and print both."
    )

    @Argument(help: "HTML files to time.")
    var files: [String]

    @OptionGroup var channel: ChannelOption

    @Option(name: .long, help: "Seconds per measurement.")
    var seconds: Double = 1

    func run() throws {
        let channel = channel.value
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read \(file).") }
            let html = String(decoding: data, as: UTF8.self)
            var parse = 0.0, check = 0.0
            for _ in 0..<3 {
                parse += time { _ = HTMLValidator.parseOnly(html, channel: channel) }
                check += time { _ = HTMLValidator.validate(html, channel: channel) }
            }
            print("\(file): \(data.count) bytes, libxml2 parse \(format(parse / 3)) µs, full check \(format(check / 3)) µs, ratio \(String(format: "%.2f", check / parse))")
        }
    }

    /// Mean microseconds per call over `seconds / 3`.
    private func time(_ body: () -> Void) -> Double {
        let budget = Duration.seconds(seconds / 3)
        let start = ContinuousClock.now
        var calls = 0
        while ContinuousClock.now - start < budget {
            body()
            calls += 1
        }
        return (ContinuousClock.now - start).seconds * 1e6 / Double(calls)
    }

    private func format(_ micros: Double) -> String { String(format: "%.1f", micros) }
}
