import GRDB

/// The store's immediate reads on a read-only connection kept by one thread (an event loop
/// answering direct reads, `EventLoopReaders`). Through the store's pool each read takes a
/// connection (a lock, a semaphore) and first runs `PRAGMA schema_version` to check GRDB's
/// statement cache: together about 15 % of the CPU of a `GET /v1/files?limit=20` (bench/README).
/// Here neither happens: the schema is migrated before the port opens and never changes while
/// the server runs, and SQLite itself prepares a statement again if it ever did.
///
/// The reads are the store's own statements (`SQLiteMetadataStore.file`, `.list`, `.cursor`)
/// and share its recent rows, so a delete is seen here as there. Each statement runs without a
/// transaction and sees the last commit, as a pool reader does (WAL).
struct SQLiteThreadReader: ImmediateFileReads {
    let connection: DatabaseQueue
    let recentFiles: RecentFiles

    init(path: String, recentFiles: RecentFiles) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "mockfiles.thread-reader"
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.recentFiles = recentFiles
    }

    func fileNow(id: String, tenant: String) throws -> StoredFile? {
        try recentFiles.file(
            id: id,
            tenant: tenant,
            orRead: { try connection.inDatabase { db in try SQLiteMetadataStore.file(db, id: id, tenant: tenant) } }
        )
    }

    func listNow(_ query: FileListQuery) throws -> [StoredFile] {
        try connection.inDatabase { db in try SQLiteMetadataStore.list(db, query) }
    }

    func cursorNow(ofFileID id: String, tenant: String) throws -> ListCursor? {
        try connection.inDatabase { db in try SQLiteMetadataStore.cursor(db, ofFileID: id, tenant: tenant) }
    }

    func readerForOneThread() throws -> any ImmediateFileReads { self }
}
