/// What the list endpoint asks the store for.
public struct FileListQuery: Sendable, Equatable {
    public enum Order: String, Sendable { case asc, desc }

    public var tenant: String
    public var purpose: String?
    public var order: Order
    /// Rows to return; the store returns at most this many.
    public var limit: Int
    /// Start strictly after this position (in `order`).
    public var after: ListCursor?
    /// Files expired at this instant are left out.
    public var now: Int64
    /// Only files whose name contains this text, ignoring case (the dashboard's filter; the API
    /// has no such parameter). Rows are read in list order until the page fills.
    public var filenameContains: String?

    public init(tenant: String, purpose: String? = nil, order: Order = .desc, limit: Int, after: ListCursor? = nil, now: Int64) {
        self.tenant = tenant
        self.purpose = purpose
        self.order = order
        self.limit = limit
        self.after = after
        self.now = now
    }
}

extension FileListQuery {
    /// `filenameContains` as a LIKE pattern: any name holding the text.
    var filenameLikePattern: String? {
        guard let text = filenameContains, !text.isEmpty else { return nil }
        return "%" + LikePattern.of(text) + "%"
    }
}

/// Text for `LIKE … ESCAPE '\'`, the stores' one way to write it.
enum LikePattern {
    /// `text` with its `%`, `_` and `\` matching themselves; each `wildcard`, if given, matching
    /// any run of characters (the admin API's `*`).
    static func of(_ text: String, wildcard: Character? = nil) -> String {
        var like = ""
        for character in text {
            switch character {
            case wildcard: like += "%"
            case "%", "_", "\\": like += "\\" + String(character)
            default: like.append(character)
            }
        }
        return like
    }
}

/// What `GET /admin/files` asks the store for: files of every tenant, in `seq` order.
public struct AdminFileQuery: Sendable, Equatable {
    public var tenant: String?
    public var purpose: String?
    /// `*` wildcards, everything else literal (as in fault rules).
    public var filenamePattern: String?
    public var sha256: String?
    public var createdSince: Int64?
    /// Start strictly after this `seq`.
    public var afterSequence: Int64 = 0
    public var limit: Int = 100

    public init() {}
}

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

/// File metadata. Stores never see HTTP types; kept behind a protocol so another database can
/// serve several stateless instances (docs/design.md, "Shared mode").
public protocol MetadataStore: Sendable {
    /// Inserts a file and returns it with its assigned sequence number.
    func insert(_ file: StoredFile) async throws -> StoredFile
    func file(id: String, tenant: String) async throws -> StoredFile?
    func list(_ query: FileListQuery) async throws -> [StoredFile]
    /// Position of a file in the list order, also for a file deleted a short while ago
    /// (kept as a tombstone), so that paging continues when the `after` file is gone.
    func cursor(ofFileID id: String, tenant: String) async throws -> ListCursor?
    /// Deletes the row (leaving a tombstone) and returns what was deleted.
    func delete(id: String, tenant: String, at now: Int64) async throws -> StoredFile?
    /// Files whose expiry has passed, oldest first, at most `limit`.
    func expiredFiles(at now: Int64, limit: Int) async throws -> [StoredFile]
    /// Of `ids`, those that have a row (used by recovery to find orphan blobs).
    func existingFileIDs(among ids: [String]) async throws -> Set<String>
    /// Deletes every row of every tenant (files, tombstones, uploads, parts) in one transaction.
    func removeEverything() async throws -> (files: Int, uploads: Int, parts: Int)
    /// In one transaction: every row of every tenant goes (as in `removeEverything`) and
    /// `contents` takes their place (a snapshot restored). Readers see the old rows or the new.
    func replaceEverything(with contents: StoreContents) async throws
    /// Forgets tombstones of files deleted before `cutoff`.
    func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int
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

/// Every row a snapshot restores: files, the open Uploads and their parts.
public struct StoreContents: Sendable, Equatable {
    public var files: [StoredFile] = []
    public var uploads: [StoredUpload] = []
    public var parts: [StoredPart] = []

    public init(files: [StoredFile] = [], uploads: [StoredUpload] = [], parts: [StoredPart] = []) {
        self.files = files
        self.uploads = uploads
        self.parts = parts
    }
}

enum TenantScan {
    /// A loose index scan: each step asks the tenant index for the next larger tenant, so the
    /// cost grows with the number of tenants, not of files.
    static let tenantsSQL = """
        WITH RECURSIVE next(tenant) AS (
            SELECT min(tenant) FROM files
            UNION ALL
            SELECT (SELECT min(tenant) FROM files WHERE tenant > next.tenant) FROM next WHERE next.tenant IS NOT NULL
        )
        SELECT tenant FROM next WHERE tenant IS NOT NULL LIMIT
        """
}

/// How much one purpose holds.
public struct StoredTotals: Sendable, Equatable {
    public var purpose: String
    public var files: Int64
    public var bytes: Int64
}
