import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

@testable import MockFiles

/// One backend pair the contract suite runs against. PostgreSQL runs when scripts/test started
/// one (`MOCKFILES_TEST_DATABASE_URL`); each test then gets a database of its own.
enum BackendUnderTest: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// SQLite and the data directory.
    case embedded
    /// The same without syncs (`serve --ephemeral`), whose small blobs are written at commit.
    case ephemeral
    /// PostgreSQL and the data directory (one instance on a shared database).
    case postgres
    /// PostgreSQL and S3: what several instances share.
    case postgresS3

    var testDescription: String { rawValue }

    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var databaseURL: String? { environment["MOCKFILES_TEST_DATABASE_URL"] }
    static var s3Endpoint: String? { environment["MOCKFILES_TEST_S3_ENDPOINT"] }

    /// The pairs to test here: the embedded one always, the others when scripts/test started
    /// their servers.
    static var available: [BackendUnderTest] {
        // Under scripts/test a missing server is a failure (each case then fails), not a skip.
        if environment["MOCKFILES_REQUIRE_SHARED_BACKENDS"] == "1" { return allCases }
        return allCases.filter { backend in
            switch backend {
            case .embedded, .ephemeral: true
            case .postgres: databaseURL != nil
            case .postgresS3: databaseURL != nil && s3Endpoint != nil
            }
        }
    }

    /// The available pairs that several instances can share.
    static var shared: [BackendUnderTest] { available.filter { $0 == .postgres || $0 == .postgresS3 } }

    /// Opens fresh, empty stores of this kind, runs `body` and removes them.
    func withStores<Result: Sendable>(_ body: (StorageBackends) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-contract-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        switch self {
        case .embedded:
            return try await body(try .embedded(dataDirectory: directory))
        case .ephemeral:
            return try await body(try .embedded(dataDirectory: directory, durable: false))
        case .postgres, .postgresS3:
            return try await withSharedStores { backends, _ in try await body(backends) }
        }
    }

    /// Opens fresh, empty stores of this shared kind, runs `body` with them and the database they
    /// are in (a test's own connection there can hold locks the stores then meet), and removes them.
    func withSharedStores<Result: Sendable>(_ body: (StorageBackends, PostgresLocation) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-contract-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await Self.withFreshDatabase { location in
            var settings = ServerSettings()
            settings.dataDirectory = directory
            settings.storage.database = location
            if self == .postgresS3 {
                // A key prefix of its own: tests share the bucket, never each other's objects.
                _ = try #require(Self.s3Endpoint, "MOCKFILES_TEST_S3_ENDPOINT is not set")
                settings.storage.blobs = try S3Location(
                    url: "s3://\(Self.environment["MOCKFILES_TEST_S3_BUCKET"] ?? "mockfiles-test")/\(location.database)",
                    endpoint: Self.s3Endpoint,
                    region: "us-east-1",
                    environment: Self.environment
                )
            }
            let backends = try await StorageBackends.open(settings, logger: Self.logger)
            return try await Self.running(backends) { try await body(backends, location) }
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "contract")
        // Not .warning: the pool warns when a test's first query beats its `run()` by a moment.
        logger.logLevel = .error
        return logger
    }()

    /// Runs the backends' services (the PostgreSQL pool) around `body`.
    static func running<Result: Sendable>(_ backends: StorageBackends, _ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in backends.services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// A new database on the test server, dropped afterwards.
    static func withFreshDatabase<Result: Sendable>(_ body: (PostgresLocation) async throws -> Result) async throws -> Result {
        let admin = try PostgresLocation(url: try #require(databaseURL))
        var location = admin
        location.database = "mockfiles_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.withConnection(logger: logger) { connection in
            try await connection.query("CREATE DATABASE \(unescaped: location.database)", logger: logger)
        }
        do {
            let result = try await body(location)
            try await drop(location.database, on: admin)
            return result
        } catch {
            try? await drop(location.database, on: admin)
            throw error
        }
    }

    private static func drop(_ database: String, on admin: PostgresLocation) async throws {
        try await admin.withConnection(logger: logger) { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: database) WITH (FORCE)", logger: logger)
        }
    }
}
