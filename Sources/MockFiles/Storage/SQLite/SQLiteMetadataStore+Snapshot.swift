import GRDB

/// What a snapshot reads beyond the API's own queries. Batches come in the order they were made
/// (a restore inserts them so, and ties in one millisecond list as they did).
extension SQLiteMetadataStore {
    public func allBatches(after: String?, limit: Int) async throws -> [StoredBatch] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(BatchRow.columns) FROM batches
                    WHERE ? IS NULL OR (created_at_ms, seq) > (SELECT created_at_ms, seq FROM batches WHERE id = ?)
                    ORDER BY created_at_ms, seq LIMIT ?
                    """,
                arguments: [after, after, limit]
            ).map(Self.storedBatch)
        }
    }
}
