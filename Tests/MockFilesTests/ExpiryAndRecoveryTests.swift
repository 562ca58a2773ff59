import Foundation
import GRDB
import NIOCore
import Testing

@testable import MockFiles

@Suite struct ExpiryTests {
    let tenant = Tenant(key: "shared", organization: "org")

    func create(_ server: TestServer, seconds: String?) async throws -> StoredFile {
        let blob = try await server.blobs.makeWriter()
        try await blob.write(ByteBuffer(string: "{}\n"))
        return try await server.service.create(
            .init(
                purpose: "batch",
                filename: "b.jsonl",
                expiresAfterAnchor: seconds == nil ? nil : "created_at",
                expiresAfterSeconds: seconds,
                blob: blob
            ),
            tenant: tenant
        )
    }

    @Test func expiredFilesVanishAtOnceAndTheSweeperReclaimsThem() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let short = try await create(server, seconds: "3600")
        let long = try await create(server, seconds: nil)
        server.clock.advance(by: 3599)
        _ = try await server.service.retrieve(id: short.id, tenant: tenant)
        server.clock.advance(by: 1)
        await #expect(throws: APIError.fileNotFound(short.id)) { try await server.service.retrieve(id: short.id, tenant: tenant) }
        await #expect(throws: APIError.fileNotFound(short.id)) { try await server.service.downloadableFile(id: short.id, tenant: tenant) }
        let page = try await server.service.list(.init(), tenant: tenant)
        #expect(page.files.map(\.id) == [long.id])
        #expect(server.blobPaths().count == 2, "invisible before the sweep, still on disk")
        let sweeper = ExpirySweeper(
            files: server.service,
            interval: .seconds(60),
            metrics: server.server.metrics,
            logger: server.server.logger
        )
        #expect(try await sweeper.sweepOnce() == 1)
        #expect(server.blobPaths().count == 1)
        #expect(try await server.metadata.file(id: short.id, tenant: tenant.key) == nil)
    }
}

/// A crash at any point loses no acknowledged file and leaves no half file
/// (docs/design.md, "A crash leaves no half file").
@Suite struct RecoveryTests {
    let tenant = Tenant(key: "shared", organization: "org")

    @Test func recoveryRemovesTempFilesAndOrphanBlobsButKeepsCommittedFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-recovery-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TestServer(directory: directory)
        // An acknowledged file.
        let blob = try await first.blobs.makeWriter()
        try await blob.write(ByteBuffer(string: "keep me"))
        let kept = try await first.service.create(.init(purpose: "user_data", filename: "k.txt", blob: blob), tenant: tenant)
        // A crash mid-upload: temp bytes, never committed.
        let abandoned = try await first.blobs.makeWriter()
        try await abandoned.write(ByteBuffer(repeating: 1, count: 3 << 20))
        // A crash between rename and row commit: a blob without a row.
        let orphan = try await first.blobs.makeWriter()
        try await orphan.write(ByteBuffer(string: "orphan"))
        try await orphan.commit(as: "file-orphanedblob000000000")
        #expect(first.temporaryFiles().count == 1)
        #expect(first.blobPaths().count == 2)

        // "Restart": a new server on the same directory; recovery sees only what is older than its start.
        try await Task.sleep(for: .milliseconds(20))
        let second = try TestServer(directory: directory)
        let recovery = StartupRecovery(
            store: second.service.store,
            startedAt: Date().timeIntervalSince1970,
            logger: second.server.logger
        )
        let report = try await recovery.recover()
        #expect(report == .init(temporaryFiles: 1, orphanBlobs: 1))
        #expect(second.temporaryFiles().isEmpty)
        #expect(second.blobPaths().map { ($0 as NSString).lastPathComponent } == [kept.id])
        let file = try await second.service.downloadableFile(id: kept.id, tenant: tenant)
        let bytes = try await second.blobs.withBlobReader(id: kept.id) { reader in
            var bytes: [UInt8] = []
            try await reader.read(range: 0..<reader.size, chunkSize: 3) { bytes += Array($0.readableBytesView) }
            return bytes
        }
        #expect(file.bytes == 7 && bytes == Array("keep me".utf8))
    }

    @Test func recoveryLeavesWorkOfTheRunningProcessAlone() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let startedAt = Date().timeIntervalSince1970 - 1
        let inFlight = try await server.blobs.makeWriter()
        try await inFlight.write(ByteBuffer(string: "uploading"))
        let renamedNotCommitted = try await server.blobs.makeWriter()
        try await renamedNotCommitted.commit(as: "file-inflight00000000000000")
        let report = try await StartupRecovery(
            store: server.service.store,
            startedAt: startedAt,
            logger: server.server.logger
        ).recover()
        #expect(report == .init(temporaryFiles: 0, orphanBlobs: 0))
        #expect(server.temporaryFiles().count == 1 && server.blobPaths().count == 1)
        await inFlight.discard()
    }

    @Test func aFailedRowCommitLeavesNoBlob() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let store = try #require(server.metadata as? SQLiteMetadataStore)
        // Make the next insert fail as a full disk or a broken database would.
        try await store.database.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON files BEGIN SELECT RAISE(FAIL, 'disk full'); END")
        }
        let blob = try await server.blobs.makeWriter()
        try await blob.write(ByteBuffer(string: "x"))
        await #expect(throws: (any Error).self) {
            try await server.service.create(.init(purpose: "user_data", filename: "x", blob: blob), tenant: tenant)
        }
        #expect(server.blobPaths().isEmpty && server.temporaryFiles().isEmpty)
    }
}
