import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// A live S3 for the integration tests, from the environment that `scripts/start-seaweedfs.sh`
/// prints; the tests are skipped when it is absent.
struct LiveS3 {
    let endpoint: String
    let bucket: String
    let credentials: S3Credentials

    static let current: LiveS3? = {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["MOCKFILES_TEST_S3_ENDPOINT"], let bucket = environment["MOCKFILES_TEST_S3_BUCKET"],
            let accessKey = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"]
        else { return nil }
        return LiveS3(endpoint: endpoint, bucket: bucket, credentials: S3Credentials(accessKeyID: accessKey, secretAccessKey: secret))
    }()

    static let skipMessage: Comment =
        "needs a live S3: eval \"$(scripts/start-seaweedfs.sh)\" sets MOCKFILES_TEST_S3_ENDPOINT, MOCKFILES_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"

    /// A client confined to a fresh key prefix, so that tests running in parallel never see each
    /// other's objects, and prefix handling is exercised by every test.
    static func client(bucket: String? = nil, credentials: S3Credentials? = nil) throws -> S3Client {
        let live = try #require(current)
        let configuration = S3Configuration(
            bucket: bucket ?? live.bucket,
            keyPrefix: "test-\(UUID().uuidString.prefix(8))/",
            endpoint: live.endpoint,
            credentials: credentials ?? live.credentials
        )
        return try S3Client(configuration: configuration, httpClient: .shared)
    }
}

extension Trait where Self == ConditionTrait {
    static var liveS3: Self { .enabled(if: LiveS3.current != nil, LiveS3.skipMessage) }
}

/// Deterministic bytes that differ at every offset of every part, so a part in the wrong place
/// or a shifted range cannot compare equal.
func testBytes(_ count: Int, seed: UInt64) -> ByteBuffer {
    var state = seed | 1
    var buffer = ByteBuffer()
    buffer.reserveCapacity(count)
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            pointer[index] = UInt8(truncatingIfNeeded: state)
        }
        return count
    }
    return buffer
}

/// Reads an object (or a range) whole, counting the chunks it arrived in.
func download(_ client: S3Client, key: String, range: Range<Int64>? = nil) async throws -> (bytes: ByteBuffer, chunks: Int) {
    var bytes = ByteBuffer()
    var chunks = 0
    try await client.getObject(key: key, range: range) { chunk in
        var chunk = chunk
        bytes.writeBuffer(&chunk)
        chunks += 1
    }
    return (bytes, chunks)
}

/// `body` must fail with an S3 error; returns it.
func expectS3Error(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws -> S3Error {
    do {
        try await body()
    } catch let error as S3Error {
        return error
    }
    Issue.record("expected an S3Error", sourceLocation: sourceLocation)
    throw CancellationError()
}
