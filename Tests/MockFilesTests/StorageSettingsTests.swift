import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import MockFiles

/// `databaseUrl`, `blobUrl` and the S3 settings: parsed strictly, refused with a message that
/// names the setting, and never echoing a secret.
@Suite struct StorageSettingsTests {
    func settings(_ environment: [String: String]) async throws -> ServerSettings {
        try ServerSettings(
            config: try await ServerSettings.configReader(flags: [:], configFile: nil, environment: environment),
            environment: environment
        )
    }

    @Test func aPostgresURLIsParsedWithItsEncodedPasswordAndDefaults() throws {
        let location = try PostgresLocation(url: "postgres://team%40ci:p%40ss%2Fword@db.internal/mockfiles")
        #expect(location.username == "team@ci" && location.password == "p@ss/word")
        #expect(location.host == "db.internal" && location.port == 5432 && location.database == "mockfiles" && location.tls == .prefer)
        let local = try PostgresLocation(url: "postgresql://me@127.0.0.1:6543/db?sslmode=disable")
        #expect(local.port == 6543 && local.password == nil && local.tls == .disable)
    }

    @Test func aPasswordNeverAppearsInDescriptionsOrErrors() throws {
        let location = try PostgresLocation(url: "postgres://me:hunter2@host:5432/db")
        #expect(!location.description.contains("hunter2") && location.description.contains(":***@"))
        for bad in ["postgres://me:hunter2@host:5432/", "postgres://me:hunter2@host:5432/a/b", "mysql://me:hunter2@host/db"] {
            let error = #expect(throws: SettingsError.self) { try PostgresLocation(url: bad) }
            #expect(error?.description.contains("hunter2") == false, "\(bad)")
            #expect(error?.description.contains("databaseUrl") == true)
        }
        #expect(throws: SettingsError.self) { try PostgresLocation(url: "postgres://me@host/db?sslmode=verify-full") }
    }

    /// Malformed URLs (one slash, none, no scheme) reach messages where no URL parser finds their
    /// password: the issue's forms, by value and inside a message.
    @Test(arguments: [
        ("postgres:/user:SECRETPW@host/db", "postgres:/user:***@host/db"),
        ("postgres:user:SECRETPW@host/db", "postgres:user:***@host/db"),
        ("postgres://user:SECRETPW@host/db", "postgres://user:***@host/db"),
        ("postgres:///user:SECRETPW@host:1/db", "postgres:///user:***@host:1/db"),
        ("user:SECRETPW@host", "user:***@host"),
        ("https://SECRETPW@minio.local", "https://***@minio.local"),
        ("postgres://user:SEC/RET@PW@host/db?x=1", "postgres://user:***@host/db?x=1"),
        ("postgres://me@host", "postgres://***@host"),
        ("no credentials: me@example.com", "no credentials: me@example.com"),
    ])
    func urlUserInfoIsMaskedHoweverMalformed(_ text: String, _ masked: String) {
        #expect(URLRedaction.redacted(text) == masked)
        #expect(URLRedaction.redacted(URLRedaction.redacted(text)) == masked, "masking twice changes nothing")
        let message = "databaseUrl must look like postgres://USER:PASS@HOST:PORT/DB, got '\(text)' (check it)"
        let redacted = URLRedaction.redacted(message)
        #expect(!redacted.contains("SECRETPW") && !redacted.contains("SEC/RET"), "\(redacted)")
        #expect(redacted.hasSuffix("' (check it)") && redacted.contains("postgres://USER:***@HOST:PORT/DB"))
    }

    @Test(arguments: ["postgres:/user:SECRETPW@127.0.0.1:1/db", "postgres:user:SECRETPW@127.0.0.1:1/db", "postgres://user:SECRETPW@/db"])
    func aMalformedDatabaseURLIsRefusedWithoutItsPassword(_ url: String) async throws {
        let error = await #expect(throws: SettingsError.self) { try await settings(["MOCKFILES_DATABASE_URL": url]) }
        let description = try #require(error?.description)
        #expect(description.contains("databaseUrl") && !description.contains("SECRETPW") && !description.contains("RETPW"), "\(description)")
        #expect(!SettingsError("cannot use \(url)").description.contains("SECRETPW"))
    }

    @Test func s3SettingsNeverEchoUserInfo() {
        let credentials = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t"]
        let bad: [(String, String?)] = [
            ("s3://AKID:SECRETPW@bucket", nil), ("https://AKID:SECRETPW@bucket", nil), ("s3://bucket", "ftp://AKID:SECRETPW@minio"),
        ]
        for (url, endpoint) in bad {
            let error = #expect(throws: SettingsError.self) {
                try S3Location(url: url, endpoint: endpoint, region: "us-east-1", environment: credentials)
            }
            #expect(error?.description.contains("SECRETPW") == false, "\(error?.description ?? "")")
        }
        let location = try? S3Location(url: "s3://bucket", endpoint: "http://AKID:SECRETPW@minio:9000", region: "r", environment: credentials)
        #expect(location?.description.contains("SECRETPW") == false && location?.description.contains("minio:9000") == true)
    }

    /// Every log line, its metadata and its error pass through the redaction.
    @Test func logLinesNeverCarryAPassword() {
        let lines = LogLines()
        var logger = Logger(label: "test") { _ in RedactingLogHandler(CapturingLogHandler(lines: lines)) }
        logger[metadataKey: "database"] = "postgres:/u:SECRETPW@db/x"
        logger.error(
            "cannot connect to postgres:/u:SECRETPW@db/x",
            error: SettingsError.Unredacted(text: "postgres://u:SECRETPW@db/x"),
            metadata: ["url": "postgres:u:SECRETPW@db/x", "attempt": .stringConvertible(3), "list": ["x://u:SECRETPW@h"]]
        )
        let captured = lines.all
        #expect(captured.count == 1 && !captured[0].contains("SECRETPW") && captured[0].contains("postgres:/u:***@db/x"), "\(captured)")
        #expect(captured.first?.contains("attempt=3") == true)
    }

    @Test func anS3LocationNeedsAValidBucketAnEndpointURLAndCredentials() throws {
        let credentials = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t"]
        let location = try S3Location(
            url: "s3://team-bucket/mock/files/",
            endpoint: "http://127.0.0.1:8333",
            region: "eu-west-1",
            environment: credentials
        )
        #expect(location.bucket == "team-bucket" && location.prefix == "mock/files/" && location.endpoint?.port == 8333)
        #expect(!location.description.contains("s3cr3t") && !location.description.contains("AKID"))
        #expect(try S3Location(url: "s3://bucket", endpoint: nil, region: "us-east-1", environment: credentials).prefix == "")
        for (url, endpoint) in [
            ("s3://Bucket", nil), ("s3://ab", nil), ("https://bucket", nil), ("s3://bucket", "ftp://x"), ("s3://bucket", "nohost"),
        ] {
            #expect(throws: SettingsError.self, "\(url) \(endpoint ?? "")") {
                try S3Location(url: url, endpoint: endpoint, region: "us-east-1", environment: credentials)
            }
        }
        let missing = #expect(throws: SettingsError.self) {
            try S3Location(url: "s3://bucket", endpoint: nil, region: "us-east-1", environment: ["AWS_ACCESS_KEY_ID": "AKID"])
        }
        #expect(missing?.description.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func theEnvironmentNamesEverySettingAndS3AloneIsRefused() async throws {
        let shared = try await settings([
            "MOCKFILES_DATABASE_URL": "postgres://me:pw@db/mockfiles",
            "MOCKFILES_BLOB_URL": "s3://bucket/prefix",
            "MOCKFILES_S3_ENDPOINT": "http://s3.local:8333",
            "MOCKFILES_S3_REGION": "auto",
            "MOCKFILES_DATABASE_CONNECTIONS": "7",
            "AWS_ACCESS_KEY_ID": "AKID",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_SESSION_TOKEN": "token",
        ])
        #expect(shared.storage.database?.database == "mockfiles" && shared.databaseConnections == 7)
        #expect(shared.storage.blobs?.region == "auto" && shared.storage.blobs?.sessionToken == "token" && shared.storage.isShared)
        let embedded = try await settings([:])
        #expect(embedded.storage.database == nil && embedded.storage.blobs == nil && !embedded.storage.isShared)
        let error = await #expect(throws: SettingsError.self) {
            try await settings(["MOCKFILES_BLOB_URL": "s3://bucket", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
        }
        #expect(error?.description.contains("databaseUrl") == true)
    }
}

extension SettingsError {
    /// An error whose description is not redacted, as a library's would be.
    struct Unredacted: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }
}

/// Log lines as the wrapped handler would write them: message, metadata, error.
final class LogLines: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var all: [String] { lines.withLockedValue { $0 } }
    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.append("\(event.message) \(fields.joined(separator: " ")) error=\(event.error.map { "\($0)" } ?? "none")")
    }
}
