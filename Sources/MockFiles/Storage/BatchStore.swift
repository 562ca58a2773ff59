/// The batch rows' reads (`FileStore.reads`).
public protocol BatchReads: Sendable {
    func batch(id: String, tenant: String) async throws -> StoredBatch?
    /// A tenant's batches newest first (`created_at` to the millisecond, then id, both
    /// descending), at most `limit`, strictly after the batch `after` in that order; nil when
    /// `after` names no batch of the tenant.
    func batches(tenant: String, after: String?, limit: Int) async throws -> [StoredBatch]?
    /// Batches of every tenant whose result files are due by `now` (milliseconds) and not made
    /// yet, soonest first, at most `limit`.
    func batchesAwaitingResults(dueBy now: Int64, limit: Int) async throws -> [StoredBatch]
    /// Of the file ids `ids`, those an unsettled batch still reads as its input: their blobs stay
    /// when the file row goes, until the batch's results are made.
    func inputFilesInUse(among ids: [String]) async throws -> Set<String>
    /// Batches of every tenant in the order they were made, at most `limit`, after the batch
    /// `after` (a snapshot's pages; a restore inserts them in this order).
    func allBatches(after: String?, limit: Int) async throws -> [StoredBatch]
}

/// Batch rows. Its writes are `FileStore`'s to make.
public protocol BatchStore: BatchReads, BatchEventStore {
    /// Inserts the batch if its input file is a file of its tenant at that moment (checked in
    /// the insert's transaction, so a deletion cannot slip between); false otherwise. With
    /// `announcingEnd`, its end event is recorded in the same transaction (`BatchEventStore`).
    func insertBatch(_ batch: StoredBatch, announcingEnd: Bool) async throws -> Bool
    /// Records a cancel: reads the batch with its row locked and asks `decide` for the moment to
    /// record; nil leaves the row, a throw refuses and writes nothing. When its results and its
    /// end event are due is worked out again from the row with the cancel. Returns the row as
    /// stored after, or nil when there is no such batch.
    func recordCancel(id: String, tenant: String, _ decide: @Sendable (StoredBatch) throws -> Int64?) async throws -> StoredBatch?
    /// In one transaction: the result files' rows are inserted and the batch names them, its
    /// usage and its plan (which lines failed, known only now when an upstream answered), unless its results were made already (by another instance, say): false then, and
    /// nothing is written.
    func insertResults(of batch: StoredBatch, files: [StoredFile]) async throws -> Bool
}

extension BatchStore {
    /// A batch no webhook event will announce.
    func insertBatch(_ batch: StoredBatch) async throws -> Bool { try await insertBatch(batch, announcingEnd: false) }
}
