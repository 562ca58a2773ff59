import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// Refusals from a live S3 come back as `S3Error` with S3's own code, and never carry the secret.
@Suite(.liveS3) struct S3ErrorTests {
    @Test func wrongSecretIsSignatureDoesNotMatch() async throws {
        let live = try #require(LiveS3.current)
        let secret = "WRONG-SECRET-\(UUID().uuidString)"
        let client = try LiveS3.client(credentials: S3Credentials(accessKeyID: live.credentials.accessKeyID, secretAccessKey: secret))
        let error = try await expectS3Error { _ = try await client.listObjectsV2() }
        #expect(error.kind == .errorResponse)
        #expect(error.status == 403 && error.code == "SignatureDoesNotMatch")
        #expect(!"\(error)".contains(secret))
    }

    @Test func unknownAccessKeyIsInvalidAccessKeyId() async throws {
        let client = try LiveS3.client(credentials: S3Credentials(accessKeyID: "AKIDUNKNOWN", secretAccessKey: "whatever"))
        let error = try await expectS3Error { try await client.putObject(key: "k", body: ByteBuffer(string: "x")) }
        #expect(error.status == 403 && error.code == "InvalidAccessKeyId")
    }

    @Test func missingBucketIsNoSuchBucket() async throws {
        let client = try LiveS3.client(bucket: "no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())")
        let listing = try await expectS3Error { _ = try await client.listObjectsV2() }
        #expect(listing.status == 404 && listing.code == "NoSuchBucket")
        let reading = try await expectS3Error { _ = try await download(client, key: "k") }
        #expect(reading.status == 404 && reading.code == "NoSuchBucket")
        let deleting = try await expectS3Error { try await client.deleteObject(key: "k") }
        #expect(deleting.code == "NoSuchBucket", "a missing bucket is not swallowed like a missing key")
    }
}
