// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Stagecraft",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Liquid", targets: ["Liquid"]),
        .executable(name: "stagecraft", targets: ["stagecraft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .target(
            name: "Liquid",
            swiftSettings: [
                // Renders touch class state (contexts, object storage) in tight loops; dynamic exclusivity
                // checks there cost over a tenth of render time. Debug builds keep them.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "stagecraft",
            dependencies: [
                "Liquid",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "LiquidTests",
            dependencies: ["Liquid"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
