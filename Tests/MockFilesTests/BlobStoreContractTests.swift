import Crypto
import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// What the services rely on from a blob store, on the data directory and on S3: nothing is
/// visible before `commit`, bytes come back exactly (whole and by range), parts join in order
/// (with their MD5), a discarded or failed blob leaves nothing, and recovery sees what it should.
@Suite struct BlobStoreContractTests {
    /// `count` bytes of a pattern that shows any shift or reordering.
    static func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 8)) }
    }

    static func write(_ bytes: [UInt8], to writer: any BlobWriter, chunk: Int = 300_000) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    static func read(_ store: any BlobStore, _ id: String, range: Range<Int64>? = nil) async throws -> [UInt8]? {
        try await store.withBlobReader(id: id) { reader in
            var collected: [UInt8] = []
            try await reader.read(range: range ?? 0..<reader.size, chunkSize: 65_536) { collected += Array(buffer: $0) }
            return collected
        }
    }

    /// Stores blobs of sizes on both sides of the S3 store's 8 MiB in-memory part.
    @Test(arguments: BackendUnderTest.available)
    func committedBlobsReadBackWholeAndByRange(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            for (index, size) in [0, 1, 70_000, 8 * 1024 * 1024 + 17].enumerated() {
                let id = "file-contract\(index)"
                let bytes = Self.bytes(size, seed: UInt8(index))
                try await stores.blobs.withNewBlob { writer in
                    try await Self.write(bytes, to: writer)
                    #expect(await writer.bytesWritten == Int64(size))
                    #expect(try await stores.blobs.openBlob(id: id) == nil, "invisible before commit")
                    var readBack: [UInt8] = []
                    try await writer.readBack(chunkSize: 65_536) { readBack += Array(buffer: $0) }
                    #expect(readBack == bytes, "read back before commit, \(size) bytes")
                    try await writer.commit(as: id)
                }
                #expect(try await Self.read(stores.blobs, id) == bytes, "\(size) bytes")
                if size > 100 {
                    #expect(try await Self.read(stores.blobs, id, range: 10..<Int64(size - 5)) == Array(bytes[10..<(size - 5)]))
                }
            }
            try await stores.blobs.removeBlob(id: "file-contract1")
            try await stores.blobs.removeBlob(id: "file-contract1")  // a missing blob is not an error
            #expect(try await stores.blobs.openBlob(id: "file-contract1") == nil)
            let listed = try await stores.blobs.blobIDs(modifiedBefore: .infinity)
            #expect(Set(listed) == ["file-contract0", "file-contract2", "file-contract3"])
            #expect(try await stores.blobs.blobIDs(modifiedBefore: 0).isEmpty, "recovery's cutoff is respected")
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func aDiscardedBlobLeavesNothingBehind(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { (stores: StorageBackends) async throws in
            for size in [10, 9 * 1024 * 1024] {
                await #expect(throws: CancellationError.self) {
                    try await stores.blobs.withNewBlob { writer in
                        try await Self.write(Self.bytes(size), to: writer)
                        throw CancellationError()
                    }
                }
            }
            #expect(try await stores.blobs.blobIDs(modifiedBefore: .infinity).isEmpty)
            #expect(try await stores.blobs.removeStaleTemporaryFiles(olderThan: .infinity) == 0, "no temporary leftovers")
        }
    }

    /// A snapshot's staged blobs take their ids: over a blob already there, durable, the source gone.
    @Test(arguments: BackendUnderTest.available)
    func movedBlobsReplaceWhatWasUnderTheirNewID(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            for (id, seed) in [("snapT_file-moved", UInt8(1)), ("file-moved", UInt8(2)), ("snapT_file-new", UInt8(3))] {
                try await stores.blobs.withNewBlob { writer in
                    try await Self.write(Self.bytes(70_000, seed: seed), to: writer)
                    try await writer.commit(as: id)
                }
            }
            try await stores.blobs.moveBlobs([
                BlobMove(from: "snapT_file-moved", to: "file-moved", size: 70_000),
                BlobMove(from: "snapT_file-new", to: "file-new", size: 70_000),
            ])
            #expect(try await Self.read(stores.blobs, "file-moved") == Self.bytes(70_000, seed: 1))
            #expect(try await Self.read(stores.blobs, "file-new") == Self.bytes(70_000, seed: 3))
            #expect(Set(try await stores.blobs.blobIDs(modifiedBefore: .infinity)) == ["file-moved", "file-new"])
            await #expect(throws: (any Error).self, "a missing source") {
                try await stores.blobs.moveBlobs([BlobMove(from: "snapT_file-gone", to: "file-gone", size: 1)])
            }
            #expect(try await stores.blobs.openBlob(id: "file-gone") == nil)
        }
    }

    /// Parts joined as an Upload's completion does: server-side when the store can, streamed with
    /// the MD5 when asked, in the order given, and a missing part is reported as such.
    @Test(arguments: BackendUnderTest.available)
    func partsJoinInOrderWithTheirMD5(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let sizes = [5 * 1024 * 1024 + 3, 5 * 1024 * 1024, 1234]
            var whole: [UInt8] = []
            for (index, size) in sizes.enumerated() {
                let bytes = Self.bytes(size, seed: UInt8(40 + index))
                whole += bytes
                try await stores.blobs.withNewBlob { writer in
                    try await Self.write(bytes, to: writer)
                    try await writer.commit(as: "part_contract\(index)")
                }
            }
            let order = ["part_contract1", "part_contract0", "part_contract2"]
            let expected = Array(whole[sizes[0]..<(sizes[0] + sizes[1])]) + Array(whole[0..<sizes[0]]) + Array(whole.suffix(sizes[2]))
            for computingMD5 in [false, true] {
                let id = "file-joined\(computingMD5)"
                try await stores.blobs.withNewBlob(concatenating: order, computingMD5: computingMD5) { writer, digests in
                    #expect(await writer.bytesWritten == Int64(expected.count))
                    #expect(digests.md5 == (computingMD5 ? Insecure.MD5.hash(data: expected).map { String(format: "%02x", $0) }.joined() : nil))
                    #expect(digests.sha256 == SHA256.hash(data: expected).map { String(format: "%02x", $0) }.joined())
                    try await writer.commit(as: id)
                }
                #expect(try await Self.read(stores.blobs, id) == expected, "md5 \(computingMD5)")
            }
            await #expect(throws: BlobStoreError.self) {
                try await stores.blobs.withNewBlob(concatenating: ["part_contract0", "part_missing"], computingMD5: false) { _, _ in }
            }
        }
    }
}
