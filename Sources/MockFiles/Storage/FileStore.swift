import Logging

/// The one owner of what is stored: the file, Upload and part rows, their blobs, the ids they
/// are named by, and the barrier that keeps a reset out of the middle of a write. Every change to
/// stored state is one of its operations, so the order that keeps acknowledged bytes safe is
/// written once, in `commit(_:as:record:)`: a blob is durable under its id before a row names it,
/// and a blob that no row came to name goes again at once (docs/design.md, "Acknowledged means
/// durable", "Reset runs alone"). Services hold the API's rules and call these operations; reads
/// go through `reads`, which can change nothing.
public struct FileStore: Sendable {
    private let metadata: any MetadataStore & UploadStore & BatchStore
    private let blobs: any BlobStore
    private let barrier = ResetBarrier()
    /// Names every file, Upload and Part this server makes (seeded in tests: `--id-seed`).
    private let ids: IDGenerator
    /// Other instances may share these stores (start-up recovery then leaves recent blobs alone).
    public let isShared: Bool
    private let logger: Logger

    public init(_ backends: StorageBackends, ids: IDGenerator, logger: Logger) {
        metadata = backends.metadata
        blobs = backends.blobs
        isShared = backends.isShared
        self.ids = ids
        self.logger = logger
    }

    /// The rows' reads, as the stores answer them.
    public var reads: any FileReads & UploadReads & BatchReads { metadata }

    /// The store's reads on the calling thread (`DirectFileReads`), when it has them and no other
    /// instance writes behind this one's back.
    var immediateReads: (any ImmediateFileReads)? {
        isShared ? nil : metadata as? any ImmediateFileReads
    }

    /// Runs `body` with a new blob to stream bytes into; unless an operation here commits it, it
    /// is discarded when `body` ends (`BlobStore.withNewBlob`).
    public func withNewBlob<Result>(_ body: (any BlobWriter) async throws -> Result) async throws -> Result {
        try await blobs.withNewBlob(body)
    }

    /// Runs `body` with the blob of `id` open, or answers nil when there is none
    /// (`BlobStore.withBlobReader`).
    public func withBlobReader<Result>(id: String, _ body: (any BlobReader) async throws -> Result) async throws -> Result? {
        try await blobs.withBlobReader(id: id, body)
    }

    /// Runs `body` with a new blob holding a copy of the local file at `path` (fixtures).
    func withNewBlob<Result>(copyingFileAt path: String, _ body: (any BlobWriter) async throws -> Result) async throws -> Result {
        try await blobs.withNewBlob(copyingFileAt: path, body)
    }

    /// The write sequence, inside the reset barrier (`sequence` says why).
    private func commit<Kept>(_ blob: any BlobWriter, as id: String, record: () async throws -> Kept?) async throws -> Kept? {
        try await barrier.write { try await sequence([(blob, id)], record: record) }
    }

    /// `blob` is made durable under `id`, then `record` writes the rows that name it. When
    /// `record` throws, or returns nil (its transaction found the write no longer allowed), the
    /// blob goes again before the answer. The writer itself belongs to the caller's `withNewBlob`
    /// scope, which discards what was not committed. A reset must not fall between the blob and
    /// its row (it would take the blob and leave the row): `commit` runs this in the barrier.
    private func sequence<Kept>(_ blobs: [(any BlobWriter, String)], record: () async throws -> Kept?) async throws -> Kept? {
        for (blob, id) in blobs { try await blob.commit(as: id) }
        let kept: Kept?
        do {
            kept = try await record()
        } catch {
            for (_, id) in blobs { try? await self.blobs.removeBlob(id: id) }
            throw error
        }
        if kept == nil { for (_, id) in blobs { try? await self.blobs.removeBlob(id: id) } }
        return kept
    }

    /// Stores `blob` as a new file described by `draft` (whose id is made here): visible once both
    /// the blob and the row are durable, and not at all when either fails.
    public func createFile(_ draft: StoredFile, from blob: any BlobWriter) async throws -> StoredFile {
        var file = draft
        file.id = ids.fileID()
        // `insert` returns the row or throws, so `commit` has a row to return.
        return try await commit(blob, as: file.id) { try await metadata.insert(file) }!
    }

    /// A fixture's file under the id its manifest gives. When another instance inserted the same
    /// fixture meanwhile, its row names a blob with these same bytes: that row wins and the blob
    /// stays. Fixtures load before the port opens and inside a reset, both alone already, so this
    /// runs outside the barrier (which the reset holds).
    func createFixture(_ file: StoredFile, from blob: any BlobWriter) async throws {
        _ = try await sequence([(blob, file.id)]) { () async throws -> StoredFile? in
            do {
                return try await metadata.insert(file)
            } catch {
                if let existing = try? await metadata.file(id: file.id, tenant: file.tenant) { return existing }
                throw error
            }
        }
    }

    /// Removes the row (the file is gone from here on), then the blob; returns the removed row,
    /// or nil when there was none. A blob that cannot be removed is left to start-up recovery.
    public func removeFile(id: String, tenant: String, at now: Int64) async throws -> StoredFile? {
        guard let file = try await metadata.delete(id: id, tenant: tenant, at: now) else { return nil }
        do {
            try await removeBlobUnlessBatchInput(id: id)
        } catch {
            logger.warning("could not remove blob of deleted file", metadata: ["file_id": "\(id)", "error": "\(error)"])
        }
        return file
    }

    // MARK: Uploads

    /// Stores a new Upload described by `draft`, named here (its id starts with its creation time).
    public func createUpload(_ draft: StoredUpload) async throws -> StoredUpload {
        var upload = draft
        upload.id = ids.uploadID(createdAt: upload.createdAt)
        try await metadata.insertUpload(upload)
        return upload
    }

    /// Stores `blob` as a new Part described by `draft` (named here). Nil when the Upload no
    /// longer took parts at `now`; throws `PartExceedsUpload` when it would pass the Upload's
    /// bytes. Both checks run in the insert's transaction, so parallel parts cannot pass together.
    public func addPart(_ draft: StoredPart, from blob: any BlobWriter, tenant: String, now: Int64) async throws -> StoredPart? {
        var part = draft
        part.id = ids.partID(createdAt: part.createdAt)
        return try await commit(blob, as: part.id) {
            try await metadata.insertPart(part, tenant: tenant, now: now) ? part : nil
        }
    }

    /// Joins the Parts `partIDs` in order into a new blob and stores it as the File `makeFile`
    /// describes (named here) from the joined bytes' digests, which may refuse them by throwing.
    /// The File row, the Upload's completion and the removal of its part rows commit in one
    /// transaction, and the part blobs go after. Nil when the Upload was no longer open then (by
    /// a concurrent request); throws `BlobStoreError.missingBlob` when a part's blob was gone.
    public func completeUpload(
        _ upload: StoredUpload,
        joining partIDs: [String],
        computingMD5: Bool,
        now: Int64,
        makeFile: (JoinedDigests) throws -> StoredFile
    ) async throws -> StoredFile? {
        let completion = try await blobs.withNewBlob(concatenating: partIDs, computingMD5: computingMD5) { blob, digests in
            var file = try makeFile(digests)
            file.id = ids.fileID()
            return try await commit(blob, as: file.id) {
                try await metadata.complete(uploadID: upload.id, tenant: upload.tenant, file: file, now: now)
            }
        }
        guard let (file, parts) = completion else { return nil }
        await removeBlobs(of: parts)
        return file
    }

    /// Marks an open Upload cancelled, then removes its parts; nil when it was not open.
    public func cancelUpload(id: String, tenant: String, now: Int64) async throws -> [StoredPart]? {
        guard let parts = try await metadata.cancel(uploadID: id, tenant: tenant, now: now) else { return nil }
        await removeBlobs(of: parts)
        return parts
    }

    private func removeBlobs(of parts: [StoredPart]) async {
        for part in parts { try? await blobs.removeBlob(id: part.id) }
    }

    // MARK: Expiry

    /// Removes files expired by `now`, rows first, `batchSize` at a time; returns how many.
    public func removeExpiredFiles(at now: Int64, batchSize: Int) async throws -> Int {
        var removed = 0
        while true {
            let expired = try await metadata.expiredFiles(at: now, limit: batchSize)
            for file in expired {
                guard try await metadata.delete(id: file.id, tenant: file.tenant, at: now) != nil else { continue }
                try? await removeBlobUnlessBatchInput(id: file.id)
                removed += 1
            }
            if expired.count < batchSize { return removed }
        }
    }

    /// Removes the parts of Uploads expired by `now` (rows first, then blobs); returns how many.
    public func removeExpiredParts(at now: Int64) async throws -> Int {
        var removed = 0
        while true {
            let parts = try await metadata.removeExpiredUploadParts(now: now, limit: 500)
            await removeBlobs(of: parts)
            removed += parts.count
            if parts.count < 500 { return removed }
        }
    }

    /// Forgets tombstones of files deleted before `cutoff`.
    public func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int {
        try await metadata.pruneTombstones(deletedBefore: cutoff)
    }

    /// Removes what no row owns, last modified before `cutoff` (Unix seconds): temporary blobs of
    /// unfinished writes, and committed blobs that never got their row or lost it. Start-up
    /// recovery runs it once; with a shared store the sweeper also runs it now and then, since an
    /// instance that crashed and never came back leaves leftovers no start-up would see. Group by
    /// group, so memory holds one group; checks for cancellation between groups.
    public func removeOrphans(olderThan cutoff: Double) async throws -> OrphanReport {
        let temporaryFiles = try await blobs.removeStaleTemporaryFiles(olderThan: cutoff)
        var orphans = 0
        for group in try await blobs.blobGroups() {
            try Task.checkCancellation()
            let candidates = try await blobs.blobIDs(inGroup: group, modifiedBefore: cutoff)
            // A blob is owned by a file row, a part row, or a batch still to read it as input.
            let known = try await metadata.existingFileIDs(among: candidates)
                .union(try await metadata.existingPartIDs(among: candidates))
                .union(try await metadata.inputFilesInUse(among: candidates))
            for id in candidates where !known.contains(id) {
                try await blobs.removeBlob(id: id)
                orphans += 1
            }
        }
        return OrphanReport(temporaryFiles: temporaryFiles, orphanBlobs: orphans)
    }

    // MARK: Everything at once

    /// Forgets every file, Upload and part of every tenant, rows first, then blobs. Runs alone on
    /// this instance, after the writes in progress; `then` runs inside too (the controls' part of a
    /// reset). Alone, every blob goes, temporary ones too. With shared stores another instance may
    /// have made a blob whose row commits after the rows' delete (no barrier here holds it back):
    /// only the blobs the deleted rows named go, and the sweeper takes what no row came to name.
    public func removeEverything<Then>(
        then: () async throws -> Then
    ) async throws -> (files: Int, uploads: Int, parts: Int, blobs: Int, then: Then) {
        try await barrier.reset {
            let removed = try await metadata.removeEverything()
            let doomed = isShared ? Array(removed.blobIDs) : try await blobs.blobIDs(modifiedBefore: .infinity)
            for id in doomed { try? await blobs.removeBlob(id: id) }
            return (removed.files, removed.uploads, removed.parts, doomed.count, try await then())
        }
    }

    /// How many resets (and restores) have begun: a snapshot staged outside the barrier compares
    /// the count before and after, since a reset meanwhile takes its staged blobs.
    public var resetsBegun: Int { barrier.resetsBegun }

    /// A new blob for a snapshot to commit under a staging id that no row names; `restore` moves
    /// it to its id, `removeStagedBlobs` drops it.
    func makeStagingWriter() async throws -> any BlobWriter {
        try await blobs.makeWriter()
    }

    /// Drops staged blobs (a refused snapshot), in a task of its own so a cancelled import cleans up.
    func removeStagedBlobs(_ ids: [String]) async {
        await Task { for id in ids { try? await blobs.removeBlob(id: id) } }.value
    }

    /// Swaps a staged snapshot in, alone like a reset: the staged blobs take their ids, the rows
    /// of every table are replaced in one transaction, `then` runs (the controls' part), and the
    /// blobs only the old rows named go. False, with nothing changed, when a reset began after
    /// `resetsBefore`: it took the staged blobs.
    func restore(
        _ contents: StoreContents,
        moving moves: [BlobMove],
        resetsBefore: Int,
        then: () async throws -> Void
    ) async throws -> Bool {
        try await barrier.reset {
            // Its own reset is counted too; any other would have taken the staged blobs.
            guard barrier.resetsBegun == resetsBefore + 1 else { return false }
            let before = try await liveBlobIDs()
            try await blobs.moveBlobs(moves)
            try await metadata.replaceEverything(with: contents)
            try await then()
            // The moved blobs too: a batch's input kept after its file was deleted has no row.
            let kept = Set(contents.files.map(\.id)).union(contents.parts.map(\.id)).union(moves.map(\.to))
            for id in before where !kept.contains(id) { try? await blobs.removeBlob(id: id) }
            return true
        }
    }

    /// The blobs the live rows name (files, then open Uploads' parts), read page by page.
    private func liveBlobIDs() async throws -> [String] {
        var ids: [String] = []
        var query = AdminFileQuery()
        query.limit = 1000
        while true {
            let page = try await metadata.adminFiles(query)
            ids += page.map(\.id)
            guard page.count == query.limit, let last = page.last else { break }
            query.afterSequence = last.sequence
        }
        for upload in try await metadata.pendingUploads() { ids += try await metadata.parts(ofUpload: upload.id).map(\.id) }
        return ids
    }
}

extension FileStore {
    // MARK: Batches

    /// Stores a new batch described by `draft` (named here, its id starting with its creation
    /// time); nil when its input file is no longer a file of its tenant. With `announcingEnd`,
    /// a webhook event will announce its end (`BatchEventStore`).
    public func createBatch(_ draft: StoredBatch, announcingEnd: Bool = false) async throws -> StoredBatch? {
        var batch = draft
        batch.id = ids.batchID(createdAt: batch.createdAt)
        return try await barrier.write { try await metadata.insertBatch(batch, announcingEnd: announcingEnd) ? batch : nil }
    }

    /// `BatchEventStore.batchesToAnnounce`.
    public func batchesToAnnounce(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await metadata.batchesToAnnounce(dueBy: now, limit: limit)
    }

    /// `BatchEventStore.removeAnnouncement`, inside the barrier like every write.
    public func removeAnnouncement(batchID: String) async throws {
        try await barrier.write { try await metadata.removeAnnouncement(batchID: batchID) }
    }

    /// `BatchStore.recordCancel`, inside the barrier like every write.
    public func recordCancel(id: String, tenant: String, _ decide: @Sendable (StoredBatch) throws -> Int64?) async throws -> StoredBatch? {
        try await barrier.write { try await metadata.recordCancel(id: id, tenant: tenant, decide) }
    }

    /// Makes a settled batch's result files: `write` streams the output and error lines into two
    /// new blobs and answers the usage of the lines answered (and, when only the answers could
    /// tell, which lines failed: the plan then records them, so `request_counts` agree with the
    /// files); the files that got bytes are named
    /// here and described by `describe`; then the blobs are committed and, in one transaction,
    /// their rows inserted and the batch made to name them (`BatchStore.insertResults`). False
    /// when another writer made them first: its files stand, these blobs go.
    public func makeBatchResults(
        of batch: StoredBatch,
        write: (_ output: any BlobWriter, _ errors: any BlobWriter) async throws -> BatchResultsWritten,
        describe: (_ kind: BatchResultKind, _ id: String, _ bytes: Int64) -> StoredFile
    ) async throws -> Bool {
        let made = try await blobs.withNewBlob { output in
            try await blobs.withNewBlob { errors in
                let answered = try await write(output, errors)
                var settled = batch
                settled.usage = answered.usage
                if let failing = answered.failingLines, case .run(let lines, let model, _) = batch.plan {
                    settled.plan = .run(lines: lines, model: model, failingLines: failing)
                }
                settled.resultsMade = true
                var files: [StoredFile] = []
                var written: [(any BlobWriter, String)] = []
                for (kind, blob) in [(BatchResultKind.output, output), (.errors, errors)] {
                    let bytes = await blob.bytesWritten
                    guard bytes > 0 else { continue }
                    let id = ids.fileID()
                    files.append(describe(kind, id, bytes))
                    written.append((blob, id))
                    if kind == .output { settled.outputFileID = id } else { settled.errorFileID = id }
                }
                return try await barrier.write {
                    try await sequence(written) { try await metadata.insertResults(of: settled, files: files) ? true : nil }
                } ?? false
            }
        }
        if made, try await metadata.file(id: batch.inputFileID, tenant: batch.tenant) == nil {
            // The input was deleted while the batch ran: its blob stayed for this batch alone.
            try? await removeBlobUnlessBatchInput(id: batch.inputFileID)
        }
        return made
    }

    /// Removes a file's blob once its row is gone, unless a batch still to run reads it.
    private func removeBlobUnlessBatchInput(id: String) async throws {
        guard try await metadata.inputFilesInUse(among: [id]).isEmpty else { return }
        try await blobs.removeBlob(id: id)
    }
}

/// What writing a batch's result lines found.
public struct BatchResultsWritten: Sendable {
    /// The tokens of the lines answered.
    public var usage = BatchUsage()
    /// The lines (0-based, ascending) that ran and landed in the error file, when validation
    /// could not foresee them (an upstream answered); nil keeps the plan's.
    public var failingLines: [Int64]?
}

/// Which of a batch's two result files.
public enum BatchResultKind: Sendable, Equatable {
    case output, errors
}

/// What `FileStore.removeOrphans` removed.
public struct OrphanReport: Sendable, Equatable {
    public var temporaryFiles: Int
    public var orphanBlobs: Int
}
