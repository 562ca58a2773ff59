import GRDB

/// What a snapshot reads beyond the API's own queries.
extension SQLiteMetadataStore {
    public func allBatches(after: String?, limit: Int) async throws -> [StoredBatch] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(BatchRow.columns) FROM batches WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [after ?? "", limit]
            ).map(Self.storedBatch)
        }
    }
}
