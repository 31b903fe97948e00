import ArgumentParser
import Foundation
@_spi(Measurement) import HTMLCheck

/// `stagecraft bench-html`: what the HTML checks cost on top of libxml2's own parse, per file.
struct BenchHTMLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-html",
        abstract: "Time libxml2's bare parse and the full check on HTML files, alternating, and print both.",
        discussion: """
            With --abusive N, times the check instead on output built to be expensive (a mistake repeated N times, N
            nested or stray tags, one tag with N attributes), at N and 2N: a checker linear in its input takes about
            twice as long for twice the input.
            """
    )

    @Argument(help: "HTML files to time.")
    var files: [String] = []

    @Option(name: .long, help: "Time the check on abusive output of this many repetitions, and of twice as many.")
    var abusive: Int?

    @OptionGroup var channel: ChannelOption

    @Option(name: .long, help: "Seconds per measurement.")
    var seconds: Double = 1

    func run() throws {
        let channel = channel.value
        if let abusive {
            for (name, make) in Self.abusiveOutputs {
                let small = make(abusive), large = make(2 * abusive)
                var diagnostics = 0
                let a = once { diagnostics = HTMLValidator.validate(small, channel: channel).diagnostics.count }
                let b = once { _ = HTMLValidator.validate(large, channel: channel) }
                print("\(name): \(small.utf8.count) bytes \(format(a / 1000)) ms, \(large.utf8.count) bytes \(format(b / 1000)) ms, "
                      + "ratio \(String(format: "%.2f", b / a)), \(diagnostics) diagnostics")
            }
            return
        }
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

    /// The issue's reproductions and their kin, each as a function of its repetition count.
    static let abusiveOutputs: [(String, @Sendable (Int) -> String)] = [
        ("duplicate ids", { String(repeating: "<p id=\"x\">a</p>", count: $0) }),
        ("images without alt", { String(repeating: "<img src=\"/a.png\">", count: $0) }),
        ("unclosed divs", { String(repeating: "<div>", count: $0) }),
        ("stray end tags under nesting", { String(repeating: "<span>", count: $0 / 2) + String(repeating: "</b>", count: $0 / 2) }),
        ("attributes on one tag", { "<div" + (0..<$0).map { " a\($0)=\"1\"" }.joined() + ">x</div>" }),
        ("unknown elements and ampersands", { String(repeating: "<dvi>a</dvi> R&D <a href=\"/?a=1&b=2\">b</a>", count: $0) }),
        ("paragraph held open by a button", {
            "<p><button>" + String(repeating: "<span>", count: 400) + String(repeating: "<div>x</div>", count: $0) + "</button>"
        }),
    ]

    /// Microseconds one call takes (the best of three).
    private func once(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            body()
            best = min(best, (ContinuousClock.now - start).seconds * 1e6)
        }
        return best
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
