import Logging
import PostgresNIO

/// File metadata in PostgreSQL, shared by every instance that points at the same database.
/// There is no in-process row cache here: another instance may delete a row at any moment, and
/// an instance must answer 404 at once when it did.
public struct PostgresMetadataStore: MetadataStore {
    let client: PostgresClient
    let logger: Logger

    /// `client` must be running (it is a `Service` of the server's group); the schema must be
    /// migrated (`StorageBackends.open` does both).
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = "seq, id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms, sha256, content_type"

    /// Every row of `query` as files.
    static func files(_ rows: PostgresRowSequence) async throws -> [StoredFile] {
        var files: [StoredFile] = []
        for try await row in rows {
            var cells = PostgresCellReader(row)
            files.append(try file(&cells, sequence: try cells.next()))
        }
        return files
    }

    /// The controls' generation as a column, read in the same snapshot as the rest of the statement.
    static let generationColumn = "(SELECT generation FROM mockfiles_controls WHERE id = 1)"

    public func insert(_ file: StoredFile) async throws -> StoredFile {
        try await client.withConnection { connection in try await Self.insert(file, on: connection, logger: logger) }
    }

    static func insert(_ file: StoredFile, on connection: PostgresConnection, logger: Logger) async throws -> StoredFile {
        // One statement: the row and its tenant's totals commit together.
        let rows = try await connection.query(
            """
            WITH inserted AS (
                INSERT INTO files (id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms, sha256, content_type)
                VALUES (\(file.id), \(file.tenant), \(file.purpose), \(file.filename), \(file.bytes), \(file.createdAt), \(file.expiresAt),
                        \(file.processedAtMilliseconds), \(file.sha256), \(file.contentType))
                RETURNING seq, tenant, purpose, bytes
            ),
            counted AS (
                INSERT INTO file_totals (tenant, purpose, files, bytes) SELECT tenant, purpose, 1, bytes FROM inserted
                ON CONFLICT (tenant, purpose) DO UPDATE SET files = file_totals.files + 1, bytes = file_totals.bytes + excluded.bytes
            )
            SELECT seq FROM inserted
            """,
            logger: logger
        )
        var inserted = file
        for try await sequence in rows.decode(Int64.self) { inserted.sequence = sequence }
        return inserted
    }

    public func file(id: String, tenant: String) async throws -> StoredFile? {
        let probe = ControlsGenerationProbe.current
        var file: StoredFile?
        for try await (generation, found) in try await client.execute(FileByIDStatement(id: id, tenant: tenant), logger: logger) {
            if let generation { probe?.record(generation) }
            file = found
        }
        return file
    }

    /// Keyset pagination on (created_at, seq), as in SQLite: never OFFSET. The API's pages are
    /// prepared statements (`FilePageStatement`); the dashboard's filter by name is not.
    public func list(_ query: FileListQuery) async throws -> [StoredFile] {
        guard query.after == nil, query.filenameLikePattern == nil else {
            return try await Self.files(client.query(Self.listQuery(query), logger: logger))
        }
        return try await page(query, afterFileID: nil) ?? []
    }

    /// One statement: the `after` file's position and the page after it.
    public func list(_ query: FileListQuery, afterFileID id: String) async throws -> [StoredFile]? {
        guard query.after == nil, query.filenameLikePattern == nil else { return try await listInTwoSteps(query, afterFileID: id) }
        return try await page(query, afterFileID: id)
    }

    private func page(_ query: FileListQuery, afterFileID id: String?) async throws -> [StoredFile]? {
        switch (query.order, query.purpose != nil, id != nil) {
        case (.desc, false, false): try await page(FilePageStatement<NewestFirst>(query: query, afterFileID: id))
        case (.desc, false, true): try await page(FilePageStatement<NewestFirstAfter>(query: query, afterFileID: id))
        case (.desc, true, false): try await page(FilePageStatement<NewestOfPurpose>(query: query, afterFileID: id))
        case (.desc, true, true): try await page(FilePageStatement<NewestOfPurposeAfter>(query: query, afterFileID: id))
        case (.asc, false, false): try await page(FilePageStatement<OldestFirst>(query: query, afterFileID: id))
        case (.asc, false, true): try await page(FilePageStatement<OldestFirstAfter>(query: query, afterFileID: id))
        case (.asc, true, false): try await page(FilePageStatement<OldestOfPurpose>(query: query, afterFileID: id))
        case (.asc, true, true): try await page(FilePageStatement<OldestOfPurposeAfter>(query: query, afterFileID: id))
        }
    }

    /// The page's files; nil when it starts after a file the tenant never had.
    private func page<Shape>(_ statement: FilePageStatement<Shape>) async throws -> [StoredFile]? {
        let probe = ControlsGenerationProbe.current
        var files: [StoredFile] = []
        var found = false
        for try await (generation, afterFileFound, file) in try await client.execute(statement, logger: logger) {
            if let generation { probe?.record(generation) }
            found = afterFileFound
            if let file { files.append(file) }
        }
        return statement.afterFileID != nil && !found ? nil : files
    }

    static func listQuery(_ query: FileListQuery) -> PostgresQuery {
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions = ["tenant = \(bind(query.tenant))", "(expires_at IS NULL OR expires_at > \(bind(query.now)))"]
        if let purpose = query.purpose { conditions.append("purpose = \(bind(purpose))") }
        if let pattern = query.filenameLikePattern { conditions.append("filename ILIKE \(bind(pattern)) ESCAPE '\\'") }
        if let after = query.after {
            let comparison = query.order == .asc ? ">" : "<"
            conditions.append("(created_at, seq) \(comparison) (\(bind(after.createdAt)), \(bind(after.sequence)))")
        }
        let direction = query.order == .asc ? "ASC" : "DESC"
        let sql = """
            SELECT \(columns) FROM files WHERE \(conditions.joined(separator: " AND "))
            ORDER BY created_at \(direction), seq \(direction) LIMIT \(bind(Int64(query.limit)))
            """
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// One statement, one snapshot: a delete moves the row into the tombstones in one commit.
    public func cursor(ofFileID id: String, tenant: String) async throws -> ListCursor? {
        let rows = try await client.query(
            """
            SELECT created_at, seq FROM files WHERE id = \(id) AND tenant = \(tenant)
            UNION ALL SELECT created_at, seq FROM file_tombstones WHERE id = \(id) AND tenant = \(tenant)
            LIMIT 1
            """,
            logger: logger
        )
        for try await (createdAt, sequence) in rows.decode((Int64, Int64).self) {
            return ListCursor(createdAt: createdAt, sequence: sequence)
        }
        return nil
    }

    public func delete(id: String, tenant: String, at now: Int64) async throws -> StoredFile? {
        let rows = try await client.query(
            """
            WITH gone AS (DELETE FROM files WHERE id = \(id) AND tenant = \(tenant) RETURNING \(unescaped: Self.columns)),
            remembered AS (
                INSERT INTO file_tombstones (id, tenant, created_at, seq, deleted_at)
                SELECT id, tenant, created_at, seq, \(now) FROM gone
                ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at
            ),
            counted AS (
                UPDATE file_totals SET files = file_totals.files - 1, bytes = file_totals.bytes - gone.bytes
                FROM gone WHERE file_totals.tenant = gone.tenant AND file_totals.purpose = gone.purpose
            )
            SELECT \(unescaped: Self.columns) FROM gone
            """,
            logger: logger
        )
        return try await Self.files(rows).first
    }

    public func expiredFiles(at now: Int64, limit: Int) async throws -> [StoredFile] {
        try await Self.files(
            client.query(
                """
                SELECT \(unescaped: Self.columns) FROM files WHERE expires_at IS NOT NULL AND expires_at <= \(now)
                ORDER BY expires_at LIMIT \(Int64(limit))
                """,
                logger: logger
            )
        )
    }

    public func existingFileIDs(among ids: [String]) async throws -> Set<String> {
        try await existingIDs(among: ids, table: "files")
    }

    func existingIDs(among ids: [String], table: String) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var found = Set<String>()
        let rows = try await client.query("SELECT id FROM \(unescaped: table) WHERE id = ANY(\(ids))", logger: logger)
        for try await id in rows.decode(String.self) { found.insert(id) }
        return found
    }

    public func tenants(limit: Int) async throws -> [String] {
        let rows = try await client.query("\(unescaped: TenantScan.tenantsSQL) \(limit)", logger: logger)
        var tenants: [String] = []
        for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
        return tenants
    }

    public func pruneTombstones(deletedBefore cutoff: Int64) async throws -> Int {
        let rows = try await client.query(
            "WITH gone AS (DELETE FROM file_tombstones WHERE deleted_at < \(cutoff) RETURNING 1) SELECT count(*) FROM gone",
            logger: logger
        )
        var count = 0
        for try await value in rows.decode(Int.self) { count = value }
        return count
    }

    public func storedTotals() async throws -> [StoredTotals] {
        try await Self.totals(
            client.query(
                "SELECT purpose, sum(files)::BIGINT, sum(bytes)::BIGINT FROM file_totals GROUP BY purpose HAVING sum(files) > 0",
                logger: logger
            )
        )
    }

    public func storedTotals(tenant: String) async throws -> [StoredTotals] {
        try await Self.totals(
            client.query("SELECT purpose, files, bytes FROM file_totals WHERE tenant = \(tenant) AND files > 0 ORDER BY purpose", logger: logger)
        )
    }

    /// Rows of (purpose, files, bytes).
    private static func totals(_ rows: PostgresRowSequence) async throws -> [StoredTotals] {
        var totals: [StoredTotals] = []
        for try await (purpose, files, bytes) in rows.decode((String, Int64, Int64).self) {
            totals.append(StoredTotals(purpose: purpose, files: files, bytes: bytes))
        }
        return totals
    }
}

extension PostgresMetadataStore {
    public func adminFiles(_ query: AdminFileQuery) async throws -> [StoredFile] {
        // Each criterion is either absent (NULL) or compared, so one statement serves every filter.
        let pattern = query.filenamePattern.map { LikePattern.of($0, wildcard: "*") }
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM files
            WHERE seq > \(query.afterSequence)
              AND (\(query.tenant)::TEXT IS NULL OR tenant = \(query.tenant))
              AND (\(query.purpose)::TEXT IS NULL OR purpose = \(query.purpose))
              AND (\(pattern)::TEXT IS NULL OR filename LIKE \(pattern) ESCAPE '\\')
              AND (\(query.sha256)::TEXT IS NULL OR sha256 = \(query.sha256))
              AND (\(query.createdSince)::BIGINT IS NULL OR created_at >= \(query.createdSince))
            ORDER BY seq LIMIT \(Int64(query.limit))
            """,
            logger: logger
        )
        return try await Self.files(rows)
    }

}
