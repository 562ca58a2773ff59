// swift-tools-version:6.2
import PackageDescription

/// The ceiling for bench rows 1–2: Hummingbird (the version mockfiles uses) answering one route
/// with fixed bytes, no middleware, no database. `bench/run --ceiling` builds and measures it.
let package = Package(
    name: "ceiling",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ceiling",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
)
