import Foundation
import Logging
import NIOCore
import PostgresNIO
import Testing

@testable import MockFiles

/// A reset through one instance while another writes to the same stores. No barrier in one
/// process holds back the other's writes, so the database and the choice of blobs must
/// (docs/scale-out.md, "Reset across instances").
@Suite struct ResetAcrossInstancesTests {
    /// Another instance's create has committed its blob, and its row comes after the reset: the
    /// reset must leave that blob, or the row would name nothing. Blobs of the rows it deleted go.
    @Test(arguments: BackendUnderTest.shared)
    func aResetLeavesTheBlobOfACreateInFlightOnAnotherInstance(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { backends in
            let gate = InsertGate()
            var gated = backends
            gated.metadata = GatedMetadataStore(base: backends.metadata, gate: gate)
            let creating = FileStore(gated, ids: IDGenerator(seed: 1), logger: BackendUnderTest.logger)
            let resetting = FileStore(backends, ids: IDGenerator(seed: 2), logger: BackendUnderTest.logger)
            let earlier = try await resetting.withNewBlob { blob in
                try await blob.write(ByteBuffer(string: "earlier"))
                return try await resetting.createFile(StoreContractTests.file("unnamed"), from: blob)
            }
            let create = Task {
                try await creating.withNewBlob { blob in
                    try await blob.write(ByteBuffer(string: "in flight"))
                    return try await creating.createFile(StoreContractTests.file("unnamed"), from: blob)
                }
            }
            await gate.waitUntilInsertArrives()  // its blob is committed, its row not yet inserted
            let removed = try await resetting.removeEverything {}
            await gate.release()
            let file = try await create.value

            #expect(removed.files == 1 && removed.blobs == 1, "the earlier file, row and blob")
            #expect(try await resetting.withBlobReader(id: earlier.id) { _ in } == nil)
            #expect(try await backends.metadata.file(id: file.id, tenant: file.tenant) != nil)
            let text = try await resetting.withBlobReader(id: file.id) { reader in
                var bytes = ByteBuffer()
                try await reader.read(range: 0..<reader.size, chunkSize: 1 << 16) { chunk in bytes.writeImmutableBuffer(chunk) }
                return String(buffer: bytes)
            }
            #expect(text == "in flight", "the row that came after the reset names its blob")
        }
    }

    /// A batch settled on another instance commits its results while a reset waits for the
    /// tables: they go with the reset, not after it. Before the reset locked every table, its
    /// delete of the files ran before the results' commit and its delete of the batches after,
    /// and the output file outlived the batch.
    @Test(arguments: BackendUnderTest.shared)
    func batchResultsThatCommitDuringAResetGoWithIt(_ backend: BackendUnderTest) async throws {
        try await backend.withSharedStores { backends, location in
            let store = backends.metadata
            _ = try await store.insert(StoreContractTests.file("file-input", purpose: "batch"))
            // Its totals row is what the blocker holds, so the results wait after claiming the batch.
            _ = try await store.insert(StoreContractTests.file("file-earlier", purpose: "batch_output"))
            #expect(try await store.insertBatch(StoreContractTests.batch("batch_1"), announcingEnd: false))
            let settled = {
                var batch = StoreContractTests.batch("batch_1")
                batch.resultsMade = true
                batch.outputFileID = "file-output"
                return batch
            }()
            let output = StoreContractTests.file("file-output", purpose: "batch_output")

            try await location.withConnection(logger: BackendUnderTest.logger) { blocker in
                try await blocker.query("BEGIN", logger: BackendUnderTest.logger)
                try await blocker.query(
                    "SELECT 1 FROM file_totals WHERE tenant = 'acme' AND purpose = 'batch_output' FOR UPDATE",
                    logger: BackendUnderTest.logger
                )
                let settling = Task { try await store.insertResults(of: settled, files: [output]) }
                try await Self.waitForLockWaiters(1, on: blocker)
                let resetting = Task { try await store.removeEverything() }
                // The old order queued behind the blocker too, after deleting the files; the
                // locking one asks without waiting and shows no waiter in its first second.
                try? await Self.waitForLockWaiters(2, on: blocker, within: .milliseconds(400))
                try await blocker.query("COMMIT", logger: BackendUnderTest.logger)
                #expect(try await settling.value, "the results claimed the batch before the reset")
                let removed = try await resetting.value
                #expect(removed.files == 3 && removed.blobIDs.contains("file-output"))
            }
            #expect(try await store.file(id: "file-output", tenant: "acme") == nil)
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == nil)
            #expect(try await store.storedTotals().isEmpty)
        }
    }

    /// Waits until `count` sessions of the database wait for a lock; throws after `limit`.
    static func waitForLockWaiters(_ count: Int, on connection: PostgresConnection, within limit: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            let rows = try await connection.query(
                "SELECT count(*)::BIGINT FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                logger: BackendUnderTest.logger
            )
            for try await waiting in rows.decode(Int64.self) where waiting >= count { return }
            guard ContinuousClock.now < deadline else { throw LockWaitTimedOut() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

struct LockWaitTimedOut: Error {}
