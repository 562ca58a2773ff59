import Foundation
import GRDB
import NIOPosix

/// File metadata in SQLite (WAL), through GRDB.
public struct SQLiteMetadataStore: MetadataStore, ImmediateFileReads {
    let database: DatabasePool
    let groupCommit: GroupCommit
    let recentFiles = RecentFiles()

    /// Opens (and migrates) `<dataDirectory>/mockfiles.sqlite`. Not `durable` only for a directory
    /// deleted at exit (`serve --ephemeral`).
    public init(dataDirectory: String, durable: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        // Every acknowledged commit must survive power loss, not only a process crash; in a
        // directory deleted at exit, nothing needs to (SQLite then never syncs, checkpoints included).
        let synchronous = durable ? Self.Synchronous.full : .off
        var configuration = Configuration()
        configuration.prepareDatabase { db in try synchronous.apply(to: db) }
        configuration.busyMode = .timeout(10)
        database = try DatabasePool(path: dataDirectory + "/mockfiles.sqlite", configuration: configuration)
        // GRDB turns WAL on after `prepareDatabase` and sets the writer to `synchronous = NORMAL`
        // with it, which in WAL mode syncs at checkpoints but not at a commit: a power cut could
        // take back a row already answered 200 (and ephemeral servers synced every checkpoint).
        // The writer's level is set again here, and checked.
        try database.writeWithoutTransaction { db in
            try synchronous.apply(to: db)
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard level == synchronous.rawValue else {
                throw DatabaseError(message: "PRAGMA synchronous is \(level.map(String.init) ?? "unknown"), not \(synchronous.rawValue)")
            }
        }
        try Self.migrator.migrate(database)
        groupCommit = GroupCommit(database: database)
    }

    /// SQLite's `PRAGMA synchronous` levels this store uses (the values the pragma reads back).
    enum Synchronous: Int {
        case off = 0
        case full = 2

        func apply(to db: Database) throws {
            try db.execute(sql: self == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
        }
    }

    /// The writer connection's `PRAGMA synchronous` (tests check it is the one asked for).
    func writerSynchronousLevel() async throws -> Int? {
        try await database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    public func insert(_ file: StoredFile) async throws -> StoredFile {
        try await groupCommit.insert(file)
    }

    /// Many rows in one transaction (seeding).
    public func insertMany(_ files: [StoredFile]) async throws {
        try await database.write { db in
            for file in files { _ = try Self.insertFile(db, file) }
        }
    }

    /// The row and its tenant's totals, in the caller's transaction. Both statements cached:
    /// every stored file runs them (the group commit's batches, seeding, restores).
    static func insertFile(_ db: Database, _ file: StoredFile) throws -> StoredFile {
        try db.cachedStatement(
            sql: """
                INSERT INTO files (id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms, sha256, content_type)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            file.id, file.tenant, file.purpose, file.filename, file.bytes, file.createdAt, file.expiresAt, file.processedAtMilliseconds,
            file.sha256, file.contentType,
        ])
        var inserted = file
        inserted.sequence = db.lastInsertedRowID
        try db.cachedStatement(
            sql: """
                INSERT INTO file_totals (tenant, purpose, files, bytes) VALUES (?, ?, 1, ?)
                ON CONFLICT (tenant, purpose) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes
                """
        ).execute(arguments: [file.tenant, file.purpose, file.bytes])
        return inserted
    }

    // The read paths every GET takes are single statements, read on the calling thread without a
    // transaction (`SQLiteFileReads`): GRDB's async `read` would hop to the reader's queue and
    // back (two thread wake-ups) and wrap it in SAVEPOINT and `PRAGMA query_only` statements, a
    // large part of a lookup's CPU in a bare Hummingbird route (bench/README.md, "Figures behind
    // code comments").
    // Statements are cached: each reader connection prepares them once.
    var immediateReads: SQLiteFileReads<DatabasePool> { SQLiteFileReads(reader: database, recentFiles: recentFiles) }

    public func file(id: String, tenant: String) async throws -> StoredFile? {
        try await Self.offCooperativePool { [self] in try fileNow(id: id, tenant: tenant) }
    }

    public func fileNow(id: String, tenant: String) throws -> StoredFile? {
        try immediateReads.fileNow(id: id, tenant: tenant)
    }

    public func list(_ query: FileListQuery) async throws -> [StoredFile] {
        try await Self.offCooperativePool { [self] in try listNow(query) }
    }

    public func listNow(_ query: FileListQuery) throws -> [StoredFile] {
        try immediateReads.listNow(query)
    }

    /// The files a statement selecting `columns` finds. Through a cursor, whose one row is read in
    /// place: `Row.fetchAll` copies every row with its column names first, a large part of a list
    /// page's SQLite-side CPU (bench/README.md, "Figures behind code comments").
    static func files(_ statement: Statement, _ arguments: StatementArguments) throws -> [StoredFile] {
        try Array(Row.fetchCursor(statement, arguments: arguments).map(storedFile))
    }

    public func readerForOneThread() throws -> any ImmediateFileReads {
        try immediateReads.readerForOneThread()
    }

    /// Keyset pagination on (created_at, seq): never OFFSET, never a lossy `created_at < x`.
    static func listSQL(_ query: FileListQuery) -> (String, StatementArguments) {
        var conditions = ["tenant = ?", "(expires_at IS NULL OR expires_at > ?)"]
        var arguments: StatementArguments = [query.tenant, query.now]
        if let purpose = query.purpose {
            conditions.append("purpose = ?")
            _ = arguments.append(contentsOf: [purpose])
        }
        if let pattern = query.filenameLikePattern {
            // SQLite's LIKE ignores the case of ASCII letters.
            conditions.append("filename LIKE ? ESCAPE '\\'")
            _ = arguments.append(contentsOf: [pattern])
        }
        if let after = query.after {
            conditions.append(query.order == .asc ? "(created_at, seq) > (?, ?)" : "(created_at, seq) < (?, ?)")
            _ = arguments.append(contentsOf: [after.createdAt, after.sequence])
        }
        let direction = query.order == .asc ? "ASC" : "DESC"
        let sql = """
            SELECT \(columns) FROM files WHERE \(conditions.joined(separator: " AND "))
            ORDER BY created_at \(direction), seq \(direction) LIMIT ?
            """
        _ = arguments.append(contentsOf: [query.limit])
        return (sql, arguments)
    }

    public func cursor(ofFileID id: String, tenant: String) async throws -> ListCursor? {
        try await Self.offCooperativePool { [self] in try cursorNow(ofFileID: id, tenant: tenant) }
    }

    /// Runs a pool read from async code on NIO's blocking pool. A pool read waits for a free
    /// reader connection; on the Swift cooperative pool (one thread per core) that wait can take
    /// every thread, and with them the dispatch threads GRDB hands connections back on: the server
    /// stops answering (seen on 2 cores under CPU starvation: every upload of the soak hung, both
    /// cooperative threads blocked in GRDB's `Pool.get` from here). Event loops keep their own
    /// connections (`EventLoopReaders`) and never wait on the pool.
    private static func offCooperativePool<Value: Sendable>(_ read: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await NIOThreadPool.singleton.runIfActive(read)
    }

    public func cursorNow(ofFileID id: String, tenant: String) throws -> ListCursor? {
        try immediateReads.cursorNow(ofFileID: id, tenant: tenant)
    }

    public func delete(id: String, tenant: String, at now: Int64) async throws -> StoredFile? {
        defer { recentFiles.forgetAll() }
        return try await database.write { db in
            guard
                let file = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM files WHERE id = ? AND tenant = ?", arguments: [id, tenant])
                    .map(Self.storedFile)
            else { return nil }
            try db.execute(sql: "DELETE FROM files WHERE seq = ?", arguments: [file.sequence])
            try db.cachedStatement(sql: "UPDATE file_totals SET files = files - 1, bytes = bytes - ? WHERE tenant = ? AND purpose = ?")
                .execute(arguments: [file.bytes, file.tenant, file.purpose])
            try db.execute(
                sql: "INSERT OR REPLACE INTO file_tombstones (id, tenant, created_at, seq, deleted_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [file.id, file.tenant, file.createdAt, file.sequence, now]
            )
            return file
        }
    }

    public func expiredFiles(at now: Int64, limit: Int) async throws -> [StoredFile] {
        try await database.read { db in
            try Self.files(
                db.cachedStatement(
                    sql: "SELECT \(Self.columns) FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?"
                ),
                [now, limit]
            )
        }
    }

    public func existingFileIDs(among ids: [String]) async throws -> Set<String> {
        try await existingIDs(among: ids, table: "files")
    }

    func existingIDs(among ids: [String], table: String) async throws -> Set<String> {
        try await values(among: ids, select: "SELECT id FROM \(table) WHERE id IN")
    }

    /// The first column of `select` followed by `(?, …)` for `ids`, in slices: SQLite caps bound
    /// parameters.
    func values(among ids: [String], select: String) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            var found = Set<String>()
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(start + 500, ids.count)])
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                found.formUnion(try String.fetchAll(db, sql: "\(select) (\(placeholders))", arguments: StatementArguments(slice)))
            }
            return found
        }
    }

    public func removeEverything() async throws -> RemovedRows {
        defer { recentFiles.forgetAll() }
        return try await database.write { db in
            var removed = RemovedRows()
            removed.files = try Int.fetchOne(db, sql: "SELECT count(*) FROM files") ?? 0
            removed.uploads = try Int.fetchOne(db, sql: "SELECT count(*) FROM uploads") ?? 0
            removed.parts = try Int.fetchOne(db, sql: "SELECT count(*) FROM upload_parts") ?? 0
            removed.blobIDs = Set(
                try String.fetchAll(db, sql: "SELECT id FROM files UNION SELECT id FROM upload_parts UNION SELECT input_file_id FROM batches")
            )
            try Self.deleteEveryRow(db)
            return removed
        }
    }

    /// Parts before uploads before files; tombstones and totals too.
    static func deleteEveryRow(_ db: Database) throws {
        for table in ["upload_parts", "uploads", "files", "file_tombstones", "file_totals", "batches", "batch_events"] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
    }

    public func replaceEverything(with contents: StoreContents) async throws {
        defer { recentFiles.forgetAll() }
        try await database.write { db in
            try Self.deleteEveryRow(db)
            for file in contents.files { _ = try Self.insertFile(db, file) }
            for upload in contents.uploads { try Self.insertUpload(db, upload) }
            for part in contents.parts { try Self.insertPart(db, part) }
            for batch in contents.batches { try Self.insertBatch(db, try BatchRow(batch)) }
        }
    }

    public func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM file_tombstones WHERE deleted_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    /// Every file query selects these, in this order: `storedFile` reads them by position.
    static let columns = "seq, id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms, sha256, content_type"

    public func tenants(limit: Int) async throws -> [String] {
        try immediateReads.readOnCallingThread { db in try String.fetchAll(db.cachedStatement(sql: TenantScan.tenantsSQL + " ?"), arguments: [limit])
        }
    }

    public func storedTotals() async throws -> [StoredTotals] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT purpose, sum(files), sum(bytes) FROM file_totals GROUP BY purpose HAVING sum(files) > 0").map {
                row in StoredTotals(purpose: row[0], files: row[1], bytes: row[2])
            }
        }
    }

    public func storedTotals(tenant: String) async throws -> [StoredTotals] {
        try immediateReads.readOnCallingThread { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT purpose, files, bytes FROM file_totals WHERE tenant = ? AND files > 0 ORDER BY purpose"),
                arguments: [tenant]
            ).map { row in StoredTotals(purpose: row[0], files: row[1], bytes: row[2]) }
        }
    }

    /// A row of `SELECT \(columns)`, read by position: GRDB finds a column by name by lowercasing
    /// every column name before it, which was the list page's largest single cost, more than
    /// SQLite's own work (bench/README.md, "Figures behind code comments").
    static func storedFile(_ row: Row) -> StoredFile {
        StoredFile(
            id: row[1],
            tenant: row[2],
            purpose: row[3],
            filename: row[4],
            bytes: row[5],
            createdAt: row[6],
            expiresAt: row[7],
            processedAtMilliseconds: row[8],
            sequence: row[0],
            sha256: row[9],
            contentType: row[10]
        )
    }
}

extension SQLiteMetadataStore {
    public func adminFiles(_ query: AdminFileQuery) async throws -> [StoredFile] {
        var conditions = ["seq > ?"]
        var arguments: StatementArguments = [query.afterSequence]
        if let tenant = query.tenant {
            conditions.append("tenant = ?")
            arguments += [tenant]
        }
        if let purpose = query.purpose {
            conditions.append("purpose = ?")
            arguments += [purpose]
        }
        if let pattern = query.filenamePattern {
            conditions.append("filename GLOB ?")
            arguments += [Self.globPattern(pattern)]
        }
        if let sha256 = query.sha256 {
            conditions.append("sha256 = ?")
            arguments += [sha256]
        }
        if let since = query.createdSince {
            conditions.append("created_at >= ?")
            arguments += [since]
        }
        arguments += [query.limit]
        let sql = "SELECT \(Self.columns) FROM files WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT ?"
        let bound = arguments
        return try await database.read { db in try Self.files(db.makeStatement(sql: sql), bound) }
    }

    /// Our `*`-only pattern as SQLite GLOB (case-sensitive): `?` and `[` are made literal.
    static func globPattern(_ pattern: String) -> String {
        var glob = ""
        for character in pattern {
            switch character {
            case "?": glob += "[?]"
            case "[": glob += "[[]"
            default: glob.append(character)
            }
        }
        return glob
    }
}
