/// The file reads of a store that answers on the calling thread at once, never waiting on a
/// network (SQLite on the local disk). Through them `DirectFileReads` answers `GET /v1/files` and
/// `GET /v1/files/{id}` on the connection's event loop; the `MetadataStore` reads are the same.
public protocol ImmediateFileReads: Sendable {
    func fileNow(id: String, tenant: String) throws -> StoredFile?
    func listNow(_ query: FileListQuery) throws -> [StoredFile]
    func cursorNow(ofFileID id: String, tenant: String) throws -> ListCursor?
    /// The same reads for one thread that reads often (an event loop), which keeps it: with a
    /// connection of its own where the store would otherwise take one from a shared pool per read.
    func readerForOneThread() throws -> any ImmediateFileReads
}

/// The file rows' reads: what services, the admin API and the dashboard look at. They change
/// nothing, so `FileStore` hands them out as they are (`FileStore.reads`).
public protocol FileReads: Sendable {
    func file(id: String, tenant: String) async throws -> StoredFile?
    func list(_ query: FileListQuery) async throws -> [StoredFile]
    /// Position of a file in the list order, also for a file deleted a short while ago
    /// (kept as a tombstone), so that paging continues when the `after` file is gone.
    func cursor(ofFileID id: String, tenant: String) async throws -> ListCursor?
    /// The page of `query` (which has no `after`) after the file `id`, found as `cursor(ofFileID:)`
    /// finds it; nil when the tenant never had that file. A store that can reads both in one
    /// statement; the others take the two steps.
    func list(_ query: FileListQuery, afterFileID id: String) async throws -> [StoredFile]?
    /// Files of every tenant matching `query`, by `seq` (expired ones not yet swept included).
    func adminFiles(_ query: AdminFileQuery) async throws -> [StoredFile]
    /// The tenants that have files, in byte order, at most `limit` (one index probe per tenant).
    func tenants(limit: Int) async throws -> [String]
    /// Files and bytes stored per purpose, over every tenant (for metrics). Kept beside the rows
    /// by every write, so reading them costs a few rows at any number of files.
    func storedTotals() async throws -> [StoredTotals]
    /// Files and bytes one tenant stores per purpose, by purpose (expired files count until swept).
    func storedTotals(tenant: String) async throws -> [StoredTotals]
    /// Bytes of one tenant's files not expired at `now` (deleted ones are gone): what the storage
    /// quota measures. One snapshot, from the totals less the expired files not swept yet, so its
    /// cost does not grow with the tenant's files.
    func visibleBytes(tenant: String, at now: Int64) async throws -> Int64
}

extension FileReads {
    public func list(_ query: FileListQuery, afterFileID id: String) async throws -> [StoredFile]? {
        try await listInTwoSteps(query, afterFileID: id)
    }

    /// `list(_:afterFileID:)` as two reads: the file's position, then the page after it.
    func listInTwoSteps(_ query: FileListQuery, afterFileID id: String) async throws -> [StoredFile]? {
        guard let cursor = try await cursor(ofFileID: id, tenant: query.tenant) else { return nil }
        var query = query
        query.after = cursor
        return try await list(query)
    }
}

/// File metadata: the reads, and the writes only `FileStore` makes (it orders them with the
/// blobs'). Stores never see HTTP types; kept behind a protocol so another database can serve
/// several stateless instances (docs/design.md, "Shared mode").
public protocol MetadataStore: FileReads {
    /// Inserts a file and returns it with its assigned sequence number.
    func insert(_ file: StoredFile) async throws -> StoredFile
    /// Deletes the row (leaving a tombstone) and returns what was deleted.
    func delete(id: String, tenant: String, at now: Int64) async throws -> StoredFile?
    /// Files whose expiry has passed, oldest first, at most `limit`.
    func expiredFiles(at now: Int64, limit: Int) async throws -> [StoredFile]
    /// Of `ids`, those that have a row (used by recovery to find orphan blobs).
    func existingFileIDs(among ids: [String]) async throws -> Set<String>
    /// Deletes every row of every tenant (files, tombstones, uploads, parts, batches) in one
    /// transaction, which no other write straddles: each commits before it or runs after it.
    func removeEverything() async throws -> RemovedRows
    /// In one transaction: every row of every tenant goes (as in `removeEverything`) and
    /// `contents` takes their place (a snapshot restored). Readers see the old rows or the new.
    func replaceEverything(with contents: StoreContents) async throws
    /// Forgets tombstones of files deleted before `cutoff`.
    func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int
}

/// What `MetadataStore.removeEverything` deleted.
public struct RemovedRows: Sendable {
    public var files = 0
    public var uploads = 0
    public var parts = 0
    /// The blobs those rows named: files, parts, and batches' inputs kept after their file went.
    public var blobIDs: Set<String> = []

    public init() {}
}
