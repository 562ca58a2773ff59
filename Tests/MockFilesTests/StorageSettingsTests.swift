import Foundation
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
