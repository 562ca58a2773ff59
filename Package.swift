// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// `MOCKFILES_FUZZ=1` (scripts/fuzz) adds the libFuzzer target and instruments the library for
/// coverage; ordinary builds never see either.
let fuzzing = Context.environment["MOCKFILES_FUZZ"] != nil
let fuzzerFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer"])] : []

let package = Package(
    name: "MockFiles",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mockfiles", targets: ["mockfiles"]),
        .library(name: "MockFiles", targets: ["MockFiles"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", exact: "4.7.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", exact: "1.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
    ],
    targets: [
        // Writes BuildInfo.swift from VERSION and the git commit (scripts/build-info).
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // Starts writeback of an upload while it is still arriving (sync_file_range).
        .target(name: "CWriteback"),
        // zlib's CRC-32, for gzip bodies deflated in slices on several cores (CompressNIO deflates).
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(
            name: "MockFiles",
            dependencies: [
                "CWriteback",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                // Hummingbird's HTTP/1 pipeline, assembled in `MockFilesHTTP1Channel`.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Shared storage for several instances: PostgreSQL metadata, S3 blobs (over AsyncHTTPClient).
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The dashboard's server-rendered pages.
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // Compiled into the binary so a lone executable has them: the OpenAPI document served at
            // GET /openapi.yaml, the dashboard's templates and stylesheet.
            resources: [
                .embedInCode("Resources/openapi.yaml"),
                .embedInCode("Resources/dashboard/layout.mustache"),
                .embedInCode("Resources/dashboard/login.mustache"),
                .embedInCode("Resources/dashboard/files.mustache"),
                .embedInCode("Resources/dashboard/file.mustache"),
                .embedInCode("Resources/dashboard/controls.mustache"),
                .embedInCode("Resources/dashboard/requests.mustache"),
                .embedInCode("Resources/dashboard/uploads.mustache"),
                .embedInCode("Resources/dashboard/upload.mustache"),
                .embedInCode("Resources/dashboard/batches.mustache"),
                .embedInCode("Resources/dashboard/batch.mustache"),
                .embedInCode("Resources/dashboard/dashboard.css"),
                .embedInCode("Resources/dashboard/dashboard.js"),
            ],
            swiftSettings: swiftSettings + fuzzerFlags
        ),
        .executableTarget(
            name: "mockfiles",
            dependencies: [
                "MockFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                // The `files` client commands.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            // `BuildInfo.version` (from VERSION) and `.commit` for `mockfiles --version`.
            plugins: ["BuildInfo"]
        ),
        // The references of bench rows 1-2 (bench/README.md): what the HTTP framework and SwiftNIO
        // reach on this machine answering fixed bytes. Built here so they share the dependencies.
        .executableTarget(
            name: "ceiling-hummingbird",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/ceiling/Sources/ceiling-hummingbird"
        ),
        .executableTarget(
            name: "ceiling-nio",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "bench/ceiling/Sources/ceiling-nio"
        ),
        // The reference of bench rows 8 pg: SwiftNIO with one PostgreSQL statement per request.
        .executableTarget(
            name: "ceiling-postgres",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/ceiling/Sources/ceiling-postgres"
        ),
        .testTarget(
            name: "MockFilesTests",
            dependencies: [
                "MockFiles",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                // The reference the multipart reader is checked against.
                .product(name: "MultipartKit", package: "multipart-kit"),
                // The contract suite makes a database per test.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // DirectReadHandler's ordering, driven part by part.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The reference the Files page's hand-written escaping is checked against.
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

if fuzzing {
    package.targets.append(
        .executableTarget(
            name: "MockFilesFuzz",
            dependencies: [
                "MockFiles",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            path: "Fuzz/MockFilesFuzz",
            swiftSettings: swiftSettings + [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        )
    )
}
