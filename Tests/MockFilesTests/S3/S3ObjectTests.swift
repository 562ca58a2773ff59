import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// Single objects against a live S3 (SeaweedFS in CI).
@Suite(.liveS3) struct S3ObjectTests {
    @Test func putHeadGetDeleteRoundTripsAnAwkwardKey() async throws {
        let client = try LiveS3.client()
        let key = "dir/a b$c+d=é&.txt"  // every class of character the signer must encode
        let body = testBytes(1 << 20, seed: 1)
        let etag = try await client.putObject(key: key, body: body, contentType: "application/octet-stream")
        #expect(!etag.isEmpty)

        let head = try #require(try await client.headObject(key: key))
        #expect(head.size == 1 << 20)
        #expect(abs(head.lastModified.timeIntervalSinceNow) < 120)

        let whole = try await download(client, key: key)
        #expect(whole.bytes == body)
        #expect(whole.chunks > 1, "1 MiB arrives in several chunks")

        let range: Range<Int64> = 1000..<700_001
        let part = try await download(client, key: key, range: range)
        #expect(part.bytes == body.getSlice(at: 1000, length: 699_001))
        #expect(part.chunks > 1)

        try await client.deleteObject(key: key)
        #expect(try await client.headObject(key: key) == nil)
        try await client.deleteObject(key: key)  // deleting twice is not an error
    }

    @Test func slowConsumerGetsEveryChunkInOrder() async throws {
        let client = try LiveS3.client()
        let body = testBytes(3 << 20, seed: 2)
        try await client.putObject(key: "slow", body: body)
        var received = ByteBuffer()
        var chunks = 0
        try await client.getObject(key: "slow") { chunk in
            var chunk = chunk
            received.writeBuffer(&chunk)
            chunks += 1
            if chunks <= 5 { try await Task.sleep(for: .milliseconds(50)) }  // the sender must wait for us
        }
        #expect(received == body)
    }

    @Test func consumerErrorEndsTheDownloadAndTheClientGoesOn() async throws {
        struct Stop: Error {}
        let client = try LiveS3.client()
        let body = testBytes(2 << 20, seed: 5)
        try await client.putObject(key: "abandoned-read", body: body)
        await #expect(throws: Stop.self) { try await client.getObject(key: "abandoned-read") { _ in throw Stop() } }
        #expect(try await download(client, key: "abandoned-read").bytes == body)
    }

    @Test func emptyRangeReadsNothingAndMissingObjectIsNoSuchKey() async throws {
        let client = try LiveS3.client()
        try await client.putObject(key: "x", body: ByteBuffer(string: "hello"))
        #expect(try await download(client, key: "x", range: 3..<3).bytes.readableBytes == 0)
        #expect(try await download(client, key: "x", range: 4..<5).bytes == ByteBuffer(string: "o"))
        let error = try await expectS3Error { _ = try await download(client, key: "missing") }
        #expect(error.status == 404 && error.code == "NoSuchKey")
    }

    @Test func copyObjectDuplicatesContent() async throws {
        let client = try LiveS3.client()
        let body = testBytes(70_000, seed: 3)
        try await client.putObject(key: "source $1", body: body)
        let etag = try await client.copyObject(from: "source $1", to: "copy")
        #expect(!etag.isEmpty)
        #expect(try await download(client, key: "copy").bytes == body)
    }

    @Test func listObjectsV2PagesByTwoWithoutSkippingOrRepeating() async throws {
        let client = try LiveS3.client()
        let keys = ["e", "a", "d/1", "c", "b b"]
        for (index, key) in keys.enumerated() { try await client.putObject(key: key, body: testBytes(index + 1, seed: 4)) }
        var pages: [[S3ObjectSummary]] = []
        var token: String?
        repeat {
            let page = try await client.listObjectsV2(prefix: "", continuationToken: token, maxKeys: 2)
            pages.append(page.objects)
            token = page.nextContinuationToken
        } while token != nil && pages.count < 10
        let listed = pages.flatMap { $0 }
        #expect(pages.map(\.count) == [2, 2, 1])
        #expect(listed.map(\.key) == ["a", "b b", "c", "d/1", "e"])
        #expect(listed.first { $0.key == "c" }?.size == 4)
        #expect(listed.allSatisfy { abs($0.lastModified.timeIntervalSinceNow) < 120 })
        #expect(try await client.listObjectsV2(prefix: "d/").objects.map(\.key) == ["d/1"])
    }

    @Test func ownedClientShutsDown() async throws {
        let live = try #require(LiveS3.current)
        let client = try S3Client(configuration: S3Configuration(bucket: live.bucket, endpoint: live.endpoint, credentials: live.credentials))
        _ = try await client.listObjectsV2(prefix: "none-", maxKeys: 1)
        try await client.shutdown()
    }
}
