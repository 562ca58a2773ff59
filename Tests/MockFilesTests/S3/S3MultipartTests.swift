import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// Multipart uploads against a live S3: parts are at least 5 MiB except the last, as on AWS.
@Suite(.liveS3) struct S3MultipartTests {
    static let mebibytes5 = 5 << 20

    @Test func threePartsOfFiveFiveAndOneByteJoinInOrder() async throws {
        let client = try LiveS3.client()
        let parts = [testBytes(Self.mebibytes5, seed: 10), testBytes(Self.mebibytes5, seed: 11), testBytes(1, seed: 12)]
        let uploadID = try await client.createMultipartUpload(key: "big")
        var completed: [S3CompletedPart] = []
        for (index, part) in parts.enumerated() {
            let etag = try await client.uploadPart(key: "big", uploadID: uploadID, partNumber: index + 1, body: part)
            completed.append(S3CompletedPart(partNumber: index + 1, etag: etag))
        }
        #expect(try await client.headObject(key: "big") == nil, "nothing is visible before completion")
        try await client.completeMultipartUpload(key: "big", uploadID: uploadID, parts: completed)

        var expected = ByteBuffer()
        for var part in parts { expected.writeBuffer(&part) }
        #expect(try await client.headObject(key: "big")?.size == Int64(2 * Self.mebibytes5 + 1))
        #expect(try await download(client, key: "big").bytes == expected)
        #expect(try await client.listMultipartUploads().isEmpty, "a completed upload is no longer listed")
    }

    @Test func uploadPartCopyAssemblesAnObjectFromOthers() async throws {
        let client = try LiveS3.client()
        let first = testBytes(6 << 20, seed: 20)
        let second = testBytes(3000, seed: 21)
        try await client.putObject(key: "first", body: first)
        try await client.putObject(key: "second", body: second)

        let uploadID = try await client.createMultipartUpload(key: "joined")
        let etags = [
            try await client.uploadPartCopy(key: "joined", uploadID: uploadID, partNumber: 1, sourceKey: "first"),
            try await client.uploadPartCopy(key: "joined", uploadID: uploadID, partNumber: 2, sourceKey: "first", sourceRange: 1 << 20..<6 << 20),
            try await client.uploadPartCopy(key: "joined", uploadID: uploadID, partNumber: 3, sourceKey: "second", sourceRange: 1..<1001),
        ]
        let parts = etags.enumerated().map { S3CompletedPart(partNumber: $0.offset + 1, etag: $0.element) }
        try await client.completeMultipartUpload(key: "joined", uploadID: uploadID, parts: parts)

        var expected = first
        expected.writeImmutableBuffer(first.getSlice(at: 1 << 20, length: 5 << 20)!)
        expected.writeImmutableBuffer(second.getSlice(at: 1, length: 1000)!)
        let joined = try await download(client, key: "joined").bytes
        #expect(joined.readableBytes == expected.readableBytes)
        #expect(joined == expected)
    }

    @Test func emptyCopyRangeIsRefusedBeforeSending() async throws {
        let client = try LiveS3.client()
        let error = try await expectS3Error {
            _ = try await client.uploadPartCopy(key: "k", uploadID: "u", partNumber: 1, sourceKey: "s", sourceRange: 5..<5)
        }
        #expect(error.kind == .invalidRequest && error.status == nil)
    }

    @Test func abandonedUploadIsListedThenAbortedForGood() async throws {
        let client = try LiveS3.client()
        let uploadID = try await client.createMultipartUpload(key: "abandoned")
        _ = try await client.uploadPart(key: "abandoned", uploadID: uploadID, partNumber: 1, body: testBytes(1000, seed: 30))

        let uploads = try await client.listMultipartUploads()
        #expect(uploads.map(\.key) == ["abandoned"])
        #expect(uploads.first?.uploadID == uploadID)
        #expect(abs(uploads.first?.initiated.timeIntervalSinceNow ?? .infinity) < 120)

        try await client.abortMultipartUpload(key: "abandoned", uploadID: uploadID)
        #expect(try await client.listMultipartUploads().isEmpty)
        let error = try await expectS3Error {
            _ = try await client.uploadPart(key: "abandoned", uploadID: uploadID, partNumber: 2, body: testBytes(10, seed: 31))
        }
        #expect(error.status == 404 && error.code == "NoSuchUpload")
        try await client.abortMultipartUpload(key: "abandoned", uploadID: uploadID)  // aborting twice is not an error
        #expect(try await client.headObject(key: "abandoned") == nil)
    }
}
