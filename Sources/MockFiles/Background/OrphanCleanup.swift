/// Removes what no row owns: temporary blobs of unfinished writes, and committed blobs that never
/// got their row (or lost it to a delete), when older than a cutoff. Start-up recovery runs it
/// once; with a shared store the sweeper also runs it periodically under its lease, since an
/// instance that crashed and never came back leaves leftovers no start-up would see.
public struct OrphanCleanup: Sendable {
    let files: FileService
    let uploads: UploadService

    public struct Report: Sendable, Equatable {
        public var temporaryFiles: Int
        public var orphanBlobs: Int
    }

    /// Everything last modified before `cutoff` (Unix seconds) and owned by no row, group by group (memory bounded by one group). Checks for cancellation between groups.
    public func run(olderThan cutoff: Double) async throws -> Report {
        let temporaryFiles = try await files.blobs.removeStaleTemporaryFiles(olderThan: cutoff)
        var orphans = 0
        for group in try await files.blobs.blobGroups() {
            try Task.checkCancellation()
            let candidates = try await files.blobs.blobIDs(inGroup: group, modifiedBefore: cutoff)
            // A blob is owned by a file row or by a part row.
            let known = try await files.metadata.existingFileIDs(among: candidates)
                .union(try await uploads.store.existingPartIDs(among: candidates))
            for id in candidates where !known.contains(id) {
                try await files.blobs.removeBlob(id: id)
                orphans += 1
            }
        }
        return Report(temporaryFiles: temporaryFiles, orphanBlobs: orphans)
    }
}
