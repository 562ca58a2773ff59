import Foundation
import Logging
import NIOCore
import Testing

@testable import MockFiles

/// Blobs are written in scopes that cannot leak them, shard directories are durable before a row
/// can point into them, and a reset never runs between a blob's commit and its row's insert.
@Suite struct StorageSafetyTests {
    let tenant = Tenant(key: "shared", organization: "org")

    @Test func aBlobWhoseCommitFailsIsDiscardedByItsScope() async throws {
        let server = try TestServer()
        defer { server.remove() }
        // A regular file where the shard directory `zz` belongs makes `commit` fail after the write.
        _ = FileManager.default.createFile(atPath: server.directory + "/blobs/zz", contents: Data())
        await #expect(throws: (any Error).self) {
            try await server.blobs.withNewBlob { blob in
                try await blob.write(ByteBuffer(repeating: 7, count: 3 << 20))
                try await blob.commit(as: "file-commitfailszz")
            }
        }
        #expect(server.temporaryFiles().isEmpty)
        // A scope that returns without committing leaves nothing either.
        try await server.blobs.withNewBlob { blob in try await blob.write(ByteBuffer(string: "dropped")) }
        #expect(server.temporaryFiles().isEmpty && server.blobPaths().isEmpty)
    }

    @Test func aCancelledScopeStillRemovesItsTemporaryFile() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let blobs = server.blobs
        let task = Task {
            try await blobs.withNewBlob { blob in
                try await blob.write(ByteBuffer(repeating: 1, count: 2 << 20))
                try await Task.sleep(for: .seconds(60))
            }
        }
        while server.temporaryFiles().isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.result
        #expect(server.temporaryFiles().isEmpty)
    }

    @Test func aCommittedBlobIsKeptByItsScope() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.blobs.withNewBlob { blob in
            try await blob.write(ByteBuffer(string: "kept"))
            try await blob.commit(as: "file-keptblob01")
        }
        #expect(server.blobPaths().map { ($0 as NSString).lastPathComponent } == ["file-keptblob01"])
        #expect(server.temporaryFiles().isEmpty)
        // The new shard directory's entry was synced before the commit returned.
        let store = try #require(server.blobs as? DiskBlobStore)
        #expect(store.durableShardNames == ["01"])
    }

    /// A reset must not run between a create's blob commit and its row insert: the reset would
    /// take the blob and the row would arrive after it, pointing at nothing. The insert is held at
    /// that moment (a gate around the real store) while a reset is started.
    @Test func aResetWaitsForACreateBetweenItsBlobAndItsRow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-reset-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteMetadataStore(dataDirectory: directory)
        let gate = InsertGate()
        let clock = ServiceClock()
        let blobs = try DiskBlobStore(dataDirectory: directory)
        let store = FileStore(
            StorageBackends(metadata: GatedMetadataStore(base: sqlite, gate: gate), blobs: blobs),
            ids: IDGenerator(seed: 7),
            logger: Logger(label: "test")
        )
        let files = FileService(store: store, clock: clock, settings: .init())
        let uploads = UploadService(files: files, settings: .init())
        let resolver = TenantResolver(mode: .shared, keys: [], rejectUnknownKeys: false, defaultOrganization: "org")
        let controls = TestControls(files: files, uploads: uploads, resolver: resolver, fixtures: nil, requestLogCapacity: 10)
        let tenant = self.tenant
        let create = Task {
            try await files.store.withNewBlob { blob in
                try await blob.write(ByteBuffer(string: "kept whole"))
                return try await files.create(.init(purpose: "user_data", filename: "a.txt", blob: blob), tenant: tenant)
            }
        }
        await gate.waitUntilInsertArrives()  // the blob is committed, its row not yet inserted
        let reset = Task { try await controls.reset() }
        try await Task.sleep(for: .milliseconds(100))
        await gate.release()
        let file = try await create.value
        let report = try await reset.value
        // The reset ran after the create: it removed row and blob together.
        #expect(report.filesRemoved == 1 && report.blobsRemoved == 1)
        #expect(try await sqlite.file(id: file.id, tenant: tenant.key) == nil)
        #expect(try await blobs.openBlob(id: file.id) == nil)
    }
}

/// Holds the first insert until released, and says when it has arrived.
actor InsertGate {
    private var arrived = false
    private var released = false
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []

    func arriveAndWait() async {
        arrived = true
        for waiter in arrivalWaiters { waiter.resume() }
        arrivalWaiters = []
        if !released { await withCheckedContinuation { releaseWaiters.append($0) } }
    }

    func waitUntilInsertArrives() async {
        if !arrived { await withCheckedContinuation { arrivalWaiters.append($0) } }
    }

    func release() {
        released = true
        for waiter in releaseWaiters { waiter.resume() }
        releaseWaiters = []
    }
}

/// A real store, with inserts held at an `InsertGate`.
struct GatedMetadataStore: MetadataStore, UploadStore, BatchStore {
    let base: any MetadataStore & UploadStore & BatchStore
    let gate: InsertGate

    func insert(_ file: StoredFile) async throws -> StoredFile {
        await gate.arriveAndWait()
        return try await base.insert(file)
    }
    func file(id: String, tenant: String) async throws -> StoredFile? { try await base.file(id: id, tenant: tenant) }
    func list(_ query: FileListQuery) async throws -> [StoredFile] { try await base.list(query) }
    func cursor(ofFileID id: String, tenant: String) async throws -> ListCursor? { try await base.cursor(ofFileID: id, tenant: tenant) }
    func delete(id: String, tenant: String, at now: Int64) async throws -> StoredFile? { try await base.delete(id: id, tenant: tenant, at: now) }
    func expiredFiles(at now: Int64, limit: Int) async throws -> [StoredFile] { try await base.expiredFiles(at: now, limit: limit) }
    func existingFileIDs(among ids: [String]) async throws -> Set<String> { try await base.existingFileIDs(among: ids) }
    func removeEverything() async throws -> RemovedRows { try await base.removeEverything() }
    func replaceEverything(with contents: StoreContents) async throws { try await base.replaceEverything(with: contents) }
    func tenants(limit: Int) async throws -> [String] { try await base.tenants(limit: limit) }
    func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int { try await base.pruneTombstones(deletedBefore: cutoff) }
    func storedTotals() async throws -> [StoredTotals] { try await base.storedTotals() }
    func storedTotals(tenant: String) async throws -> [StoredTotals] { try await base.storedTotals(tenant: tenant) }
    func visibleBytes(tenant: String, at now: Int64) async throws -> Int64 { try await base.visibleBytes(tenant: tenant, at: now) }
    func adminFiles(_ query: AdminFileQuery) async throws -> [StoredFile] { try await base.adminFiles(query) }
    func insertUpload(_ upload: StoredUpload) async throws { try await base.insertUpload(upload) }
    func batch(id: String, tenant: String) async throws -> StoredBatch? { try await base.batch(id: id, tenant: tenant) }
    func batches(tenant: String, after: String?, limit: Int) async throws -> [StoredBatch]? {
        try await base.batches(tenant: tenant, after: after, limit: limit)
    }
    func batchesAwaitingResults(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await base.batchesAwaitingResults(dueBy: now, limit: limit)
    }
    func inputFilesInUse(among ids: [String]) async throws -> Set<String> { try await base.inputFilesInUse(among: ids) }
    func allBatches(after: String?, limit: Int) async throws -> [StoredBatch] { try await base.allBatches(after: after, limit: limit) }
    func insertBatch(_ batch: StoredBatch, announcingEnd: Bool) async throws -> Bool {
        try await base.insertBatch(batch, announcingEnd: announcingEnd)
    }
    func batchesToAnnounce(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await base.batchesToAnnounce(dueBy: now, limit: limit)
    }
    func removeAnnouncement(batchID: String) async throws { try await base.removeAnnouncement(batchID: batchID) }
    func recordCancel(id: String, tenant: String, _ decide: @Sendable (StoredBatch) throws -> Int64?) async throws -> StoredBatch? {
        try await base.recordCancel(id: id, tenant: tenant, decide)
    }
    func insertResults(of batch: StoredBatch, files: [StoredFile]) async throws -> Bool { try await base.insertResults(of: batch, files: files) }
    func upload(id: String, tenant: String) async throws -> StoredUpload? { try await base.upload(id: id, tenant: tenant) }
    func insertPart(_ part: StoredPart, tenant: String, now: Int64) async throws -> Bool { try await base.insertPart(part, tenant: tenant, now: now) }
    func parts(ofUpload uploadID: String) async throws -> [StoredPart] { try await base.parts(ofUpload: uploadID) }
    func pendingUploads() async throws -> [StoredUpload] { try await base.pendingUploads() }
    func uploads(tenant: String, limit: Int, before: (createdAt: Int64, id: String)?) async throws -> [StoredUpload] {
        try await base.uploads(tenant: tenant, limit: limit, before: before)
    }
    func complete(uploadID: String, tenant: String, file: StoredFile, now: Int64) async throws -> (StoredFile, [StoredPart])? {
        try await base.complete(uploadID: uploadID, tenant: tenant, file: file, now: now)
    }
    func cancel(uploadID: String, tenant: String, now: Int64) async throws -> [StoredPart]? {
        try await base.cancel(uploadID: uploadID, tenant: tenant, now: now)
    }
    func removeExpiredUploadParts(now: Int64, limit: Int) async throws -> [StoredPart] {
        try await base.removeExpiredUploadParts(now: now, limit: limit)
    }
    func existingPartIDs(among ids: [String]) async throws -> Set<String> { try await base.existingPartIDs(among: ids) }
}

@Suite struct ResetBarrierTests {
    @Test func aResetWaitsForWritesInProgressAndHoldsBackNewOnes() async throws {
        let barrier = ResetBarrier()
        let events = EventLog()
        let writeStarted = AsyncStream<Void>.makeStream()
        let releaseWrite = AsyncStream<Void>.makeStream()
        let write = Task {
            await barrier.write {
                await events.append("write begins")
                writeStarted.continuation.yield()
                for await _ in releaseWrite.stream { break }
                await events.append("write ends")
            }
        }
        for await _ in writeStarted.stream { break }
        let reset = Task { await barrier.reset { await events.append("reset") } }
        // Give the reset time to queue behind the write, then start a second write behind it.
        try await Task.sleep(for: .milliseconds(50))
        let late = Task { await barrier.write { await events.append("late write") } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await events.entries == ["write begins"])
        releaseWrite.continuation.yield()
        await write.value
        await reset.value
        await late.value
        #expect(await events.entries == ["write begins", "write ends", "reset", "late write"])
    }

    actor EventLog {
        var entries: [String] = []
        func append(_ entry: String) { entries.append(entry) }
    }
}

@Suite struct SweeperTests {
    /// A cancelled sweeper (the service group cancels its services when the server cannot bind)
    /// must end, not spin on `CancellationError` at full CPU.
    @Test func theSweeperEndsWhenCancelled() async throws {
        let server = try TestServer { $0.sweepIntervalSeconds = 0.001 }
        defer { server.remove() }
        let sweeper = server.server.sweeper
        let ended = Flag()
        let run = Task {
            try? await sweeper.run()
            await ended.set()
        }
        try await Task.sleep(for: .milliseconds(20))
        run.cancel()
        for _ in 0..<500 where !(await ended.value) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await ended.value, "the sweeper kept running after cancellation")
    }

    actor Flag {
        var value = false
        func set() { value = true }
    }
}
