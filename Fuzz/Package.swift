// swift-tools-version: 6.0
// libFuzzer targets for the parsers that take input from outside: the Liquid parser and renderer (with the render
// limits on), the HTML checker, the JSON reader, the content loader (YAML front matter, CSV catalog, locale files)
// and the email pipeline's CSS inliner. Built by scripts/fuzz with -sanitize=fuzzer,address; each target is an
// executable whose entry point is libFuzzer's.
import Foundation
import PackageDescription

// The Stagecraft package is the folder above; SwiftPM names a local package after its folder, whatever the clone is called.
let stagecraft = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func target(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: products.map { .product(name: $0, package: stagecraft) },
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "StagecraftFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        target("FuzzLiquid", ["Liquid"]),
        target("FuzzHTMLCheck", ["HTMLCheck"]),
        target("FuzzJSON", ["Liquid"]),
        target("FuzzContent", ["Content", "Delivery"]),
        target("FuzzEmail", ["Content", "Delivery", "Personalization", "Liquid"]),
    ],
    swiftLanguageModes: [.v6]
)
