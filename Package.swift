// swift-tools-version: 6.1
import PackageDescription

/// Debian's libxml2 headers live under /usr/include/libxml2; pkg-config would say so, but a fresh machine may
/// lack pkg-config, so every target that sees the C module is told directly.
let libxml2Headers: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I/usr/include/libxml2"])]

let package = Package(
    name: "Stagecraft",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Liquid", targets: ["Liquid"]),
        .library(name: "HTMLCheck", targets: ["HTMLCheck"]),
        .library(name: "Localization", targets: ["Localization"]),
        .library(name: "Personalization", targets: ["Personalization"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "Content", targets: ["Content"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "SQLiteStorage", targets: ["SQLiteStorage"]),
        .library(name: "PostgresStorage", targets: ["PostgresStorage"]),
        .library(name: "StagecraftServer", targets: ["StagecraftServer"]),
        .executable(name: "stagecraft", targets: ["stagecraft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // The HTTP parts between Hummingbird's codec and our connection handler (a parse error answered as a problem).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.30.0"),
    ],
    targets: [
        // The one problem type every stage reports with, from the Liquid parser to the API.
        .target(name: "Diagnostics"),
        .target(
            name: "Liquid",
            dependencies: ["Diagnostics"],
            swiftSettings: [
                // Renders touch class state (contexts, object storage) in tight loops; dynamic exclusivity
                // checks there cost over a tenth of render time. Debug builds keep them.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(name: "HTMLCheck", dependencies: ["Diagnostics", "Localization", "CLibXML2"], swiftSettings: libxml2Headers),
        // glibc's malloc.h (not in Swift's Glibc module): the heap's account for /metrics, and giving memory back.
        .systemLibrary(name: "CMalloc"),
        // Locales: BCP 47 tags and their fallbacks, CLDR's plural rules (its plurals.xml compiled in).
        .target(
            name: "Localization",
            exclude: ["Resources/CLDR.LICENSE"],
            resources: [.embedInCode("Resources/plurals.xml")],
            // Foundation's own ICU (what FoundationInternationalization formats with), for character properties
            // Swift's standard library does not expose (East Asian Width).
            linkerSettings: [.linkedLibrary("_FoundationICU")]
        ),
        .target(
            name: "Personalization",
            dependencies: ["Liquid", "Localization"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Experiment statistics as GrowthBook's engine computes them: Bayesian and frequentist comparisons, SRM.
        .target(name: "Experiments"),
        // The content folder read and checked: YAML, front matter, CSV and JSON catalogs, into a `ContentSet`.
        .target(name: "Content", dependencies: ["Diagnostics", "Liquid", "Localization", "Personalization", "Yams"]),
        .target(
            name: "Delivery",
            dependencies: ["Diagnostics", "Liquid", "HTMLCheck", "Localization", "Personalization", "Content"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The store protocol with the memory store and the cache of parsed users; each database behind it is a
        // target of its own, so only the command that picks one links its driver.
        .target(name: "Storage", dependencies: ["Liquid", "Localization", "Personalization"]),
        .target(
            name: "SQLiteStorage",
            dependencies: ["Liquid", "Personalization", "Storage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Liquid",
                "Personalization",
                "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "StagecraftServer",
            dependencies: [
                "Diagnostics",
                "Liquid",
                "HTMLCheck",
                "Localization",
                "Personalization",
                "Content",
                "Delivery",
                "Experiments",
                "Storage",
                "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                // The render threads (NIOThreadPool), apart from the event loops Hummingbird runs on.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The OpenAPI document, compiled in as bytes.
            resources: [.embedInCode("Resources/openapi.json")],
            swiftSettings: libxml2Headers + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "stagecraft",
            dependencies: [
                "Diagnostics",
                "Liquid",
                "HTMLCheck",
                "Personalization",
                "Content",
                "Delivery",
                "Storage",
                "Localization",
                "SQLiteStorage",
                "PostgresStorage",
                "StagecraftServer",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: libxml2Headers
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: ["Diagnostics", "Localization", "Delivery", "Personalization", "Content", "Liquid", "HTMLCheck"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "SQLiteStorage", "PostgresStorage", "Personalization", "Liquid", "Localization",
                                                         .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Diagnostics",
                "Localization",
                "StagecraftServer",
                "Storage",
                "SQLiteStorage",
                "PostgresStorage",
                "Personalization",
                "Content",
                "Delivery",
                "Liquid",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                // A TCP proxy that cuts the way to PostgreSQL, as a restart does.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: libxml2Headers
        ),
        .testTarget(name: "PersonalizationTests", dependencies: ["Diagnostics", "Personalization", "Content"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "HTMLCheckTests",
            dependencies: ["Diagnostics", "HTMLCheck"],
            resources: [.copy("Fixtures")],
            swiftSettings: libxml2Headers
        ),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LiquidTests",
            dependencies: ["Diagnostics", "Liquid"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
