import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// The sweeper's periodic orphan scan (shared stores): leftovers of an instance that crashed and
/// never came back go once they are older than the grace period; what a row owns, and anything
/// younger, stays.
@Suite struct OrphanScanTests {
    static func commit(_ text: String, as id: String, in blobs: any BlobStore) async throws {
        try await blobs.withNewBlob { writer in
            try await writer.write(ByteBuffer(string: text))
            try await writer.commit(as: id)
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func removesOnlyLeftoversOlderThanTheGrace(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let server = try MockFilesServer(settings: ServerSettings(), storage: stores)
            let owned = try await Self.makeFile(server)
            try await stores.metadata.insertUpload(StoreContractTests.upload("upload-orphans"))
            #expect(
                try await stores.metadata.insertPart(
                    StoreContractTests.part("part-owned", of: "upload-orphans"),
                    tenant: "acme",
                    now: StoreContractTests.now
                )
            )
            try await Self.commit("part bytes", as: "part-owned", in: stores.blobs)
            // A crash between the blob and its row, and a write that never finished (past the
            // S3 store's in-memory part, so it is a staged multipart upload there).
            try await Self.commit("no row", as: "file-orphan0000000000000000", in: stores.blobs)
            let unfinished = try await stores.blobs.makeWriter()
            try await unfinished.write(ByteBuffer(repeating: 7, count: 9 * 1024 * 1024))

            func sweeper(graceSeconds: Double) -> ExpirySweeper {
                ExpirySweeper(
                    files: server.fileService,
                    interval: .seconds(60),
                    metrics: server.metrics,
                    orphanScan: .init(graceSeconds: graceSeconds),
                    logger: server.logger
                )
            }
            let young = try await sweeper(graceSeconds: 3600).cleanOrphans()
            #expect(young == .init(temporaryFiles: 0, orphanBlobs: 0), "nothing is older than an hour")
            // A negative grace puts the cutoff in the future: everything counts as old.
            let old = try await sweeper(graceSeconds: -60).cleanOrphans()
            #expect(old == .init(temporaryFiles: 1, orphanBlobs: 1))
            let left = try await stores.blobs.blobIDs(modifiedBefore: .infinity)
            #expect(Set(left) == [owned.id, "part-owned"])
            #expect(try await stores.blobs.removeStaleTemporaryFiles(olderThan: .infinity) == 0)
            await unfinished.discard()
        }
    }

    /// The disk store reads each blob's age with one `stat`: a blob last written at a known
    /// instant is older than a cutoff a tenth of a second after it, and not one before it.
    @Test func theDiskStoreReadsABlobsModificationTime() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let id = "file-aged000000000000000001"
        try await Self.commit("aged", as: id, in: server.blobs)
        let written = 1_700_000_000.5
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: written)],
            ofItemAtPath: server.directory + "/blobs/01/" + id
        )
        #expect(try await server.blobs.blobIDs(modifiedBefore: written + 0.1) == [id])
        #expect(try await server.blobs.blobIDs(modifiedBefore: written - 0.1).isEmpty)
    }

    static func makeFile(_ server: MockFilesServer) async throws -> StoredFile {
        let blob = try await server.storage.blobs.makeWriter()
        try await blob.write(ByteBuffer(string: "keep me"))
        return try await server.fileService.create(
            .init(purpose: "user_data", filename: "k.txt", blob: blob),
            tenant: Tenant(key: "acme", organization: "org")
        )
    }
}
