import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// Each File records the SHA-256 of its bytes and the content type sent with them, hashed as the
/// bytes stream in (POST /v1/files) or as the parts are joined (Uploads); the File object never
/// shows either.
@Suite struct FileDigestTests {
    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    @Test func aDirectUploadIsHashedAsItStreams() async throws {
        let server = try TestServer()
        defer { server.remove() }
        // Large enough to arrive in many chunks.
        let contents = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try await server.test { client in
            var form = MultipartBody()
            form.field("purpose", "user_data")
            form.file(filename: "data.bin", contents: contents, contentType: "image/x-test")
            let created = try await client.createFile(form)
            #expect(created["sha256"] == nil && created["content_type"] == nil, "the File object stays as the API defines it")
            let id = try #require(created["id"] as? String)
            let stored = try #require(try await server.metadata.file(id: id, tenant: "shared"))
            #expect(stored.sha256 == Self.hex(contents) && stored.contentType == "image/x-test")
        }
    }

    /// Hashed beside the stream in batches: any chunking gives the digest of the whole.
    @Test(arguments: [1, 4096, 65_537, 1 << 20, 3 << 20])
    func theStreamingDigestIsTheDigestOfTheWhole(chunk: Int) async throws {
        let bytes = (0..<(5 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        var digest = StreamingSHA256()
        var offset = 0
        // Chunks of varying size around `chunk`, so batch edges fall anywhere.
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk + offset % 97)
            await digest.update(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        #expect(await digest.finalize() == SHA256.hash(data: bytes).hexDigits)
        var empty = StreamingSHA256()
        #expect(await empty.finalize() == SHA256.hash(data: [UInt8]()).hexDigits)
    }

    @Test func anUploadIsHashedAsItsPartsAreJoined() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let first = [UInt8](repeating: 7, count: 70_000)
        let second = Array("the end".utf8)
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: first.count + second.count, extra: ["mime_type": "text/plain"])
            let partA = try #require(try await client.addPart(uploadID, first).1["id"] as? String)
            let partB = try #require(try await client.addPart(uploadID, second).1["id"] as? String)
            // Joined in the order the completion lists, not the order the parts arrived.
            let (status, completed) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [partB, partA]])
            #expect(status == .ok)
            let fileID = try #require((completed["file"] as? [String: Any])?["id"] as? String)
            let stored = try #require(try await server.metadata.file(id: fileID, tenant: "shared"))
            #expect(stored.sha256 == Self.hex(second + first) && stored.contentType == "text/plain")
        }
    }

    /// `GET /admin/files` lists every tenant's files with their digests, filtered and paged by `seq`.
    @Test func theAdminListFindsFilesByTenantNameAndDigest() async throws {
        let server = try TestServer { $0.tenancy = .perKey }
        defer { server.remove() }
        try await server.test { client in
            let a1 = try #require(
                try await client.createFile(.createFile(filename: "report-1.csv", contents: Array("one".utf8)), key: "sk-a")["id"] as? String
            )
            let b1 = try #require(
                try await client.createFile(.createFile(filename: "report-2.csv", contents: Array("two".utf8)), key: "sk-b")["id"] as? String
            )
            let a2 = try #require(
                try await client.createFile(.createFile(filename: "notes?.txt", contents: Array("one".utf8)), key: "sk-a")["id"] as? String
            )
            func ids(_ query: String) async throws -> [String] {
                let (status, page) = try await client.getJSON("/admin/files\(query)")
                #expect(status == .ok, "\(query): \(page)")
                return (page["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            #expect(try await ids("") == [a1, b1, a2], "every tenant, in the order stored")
            #expect(try await ids("?filename=report-*.csv") == [a1, b1])
            #expect(try await ids("?filename=notes%3F.txt") == [a2], "? is literal, not a wildcard")
            #expect(try await ids("?filename=notes%5F.txt") == [], "nor is _")
            #expect(try await ids("?sha256=\(Self.hex(Array("one".utf8)))") == [a1, a2])
            let (_, all) = try await client.getJSON("/admin/files?limit=1")
            let first = try #require((all["data"] as? [[String: Any]])?.first)
            #expect(all["has_more"] as? Bool == true && first["sha256"] as? String == Self.hex(Array("one".utf8)))
            let tenant = try #require(first["tenant"] as? String)
            #expect(try await ids("?tenant=\(tenant)") == [a1, a2])
            let seq = try #require(first["seq"] as? Int)
            #expect(try await ids("?after=\(seq)&limit=5") == [b1, a2])
            for bad in ["?sha256=ABC", "?limit=0", "?after=-1", "?colour=red", "?created_since=soon"] {
                #expect(try await client.getJSON("/admin/files\(bad)").0 == .badRequest, "\(bad)")
            }
        }
    }
}
