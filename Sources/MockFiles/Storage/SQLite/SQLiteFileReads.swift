import GRDB

/// The reads every GET takes (`ImmediateFileReads`), one implementation over any GRDB connection:
/// the store's pool (`SQLiteMetadataStore` forwards to it), or the read-only connection an event
/// loop keeps (`readerForOneThread`, `EventLoopReaders`). Through the pool each read takes a
/// connection (a lock, a semaphore) and first runs `PRAGMA schema_version` to check GRDB's
/// statement cache: together a noticeable share of the CPU of a `GET /v1/files?limit=20`
/// (bench/README.md, "Figures behind code comments").
/// A connection of one's own skips both: the schema is migrated before the port opens and never
/// changes while the server runs, and SQLite itself prepares a statement again if it ever did.
///
/// Every reader shares the store's recent rows, so a delete is seen by all at once. Each statement
/// runs on the calling thread without a transaction (`unsafeRead`): a statement sees one consistent
/// snapshot by itself, the last commit (WAL), and the wait is never for a writer.
struct SQLiteFileReads<Reader: DatabaseReader>: ImmediateFileReads {
    let reader: Reader
    let recentFiles: RecentFiles

    func fileNow(id: String, tenant: String) throws -> StoredFile? {
        try recentFiles.file(id: id, tenant: tenant) {
            try readOnCallingThread { db in
                try SQLiteMetadataStore.files(
                    db.cachedStatement(sql: "SELECT \(SQLiteMetadataStore.columns) FROM files WHERE id = ? AND tenant = ?"),
                    [id, tenant]
                ).first
            }
        }
    }

    func listNow(_ query: FileListQuery) throws -> [StoredFile] {
        let (sql, arguments) = SQLiteMetadataStore.listSQL(query)
        return try readOnCallingThread { db in try SQLiteMetadataStore.files(db.cachedStatement(sql: sql), arguments) }
    }

    /// Two statements without a transaction are still right: a delete removes the row and writes
    /// its tombstone in one commit, so the second statement finds what the first one missed.
    func cursorNow(ofFileID id: String, tenant: String) throws -> ListCursor? {
        try readOnCallingThread { db in
            let row =
                try Row.fetchOne(db.cachedStatement(sql: "SELECT created_at, seq FROM files WHERE id = ? AND tenant = ?"), arguments: [id, tenant])
                ?? Row.fetchOne(
                    db.cachedStatement(sql: "SELECT created_at, seq FROM file_tombstones WHERE id = ? AND tenant = ?"),
                    arguments: [id, tenant]
                )
            return row.map { ListCursor(createdAt: $0[0], sequence: $0[1]) }  // created_at, seq
        }
    }

    func readerForOneThread() throws -> any ImmediateFileReads {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "mockfiles.thread-reader"
        configuration.busyMode = .timeout(10)
        return SQLiteFileReads<DatabaseQueue>(reader: try DatabaseQueue(path: reader.path, configuration: configuration), recentFiles: recentFiles)
    }

    /// GRDB's `unsafeRead` run where it is called. A synchronous function, because from an async
    /// one Swift would choose GRDB's async overload, which hops to the reader's queue.
    func readOnCallingThread<T>(_ value: (Database) throws -> T) throws -> T {
        try reader.unsafeRead(value)
    }
}
