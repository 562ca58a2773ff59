import PostgresNIO

/// What a snapshot reads beyond the API's own queries.
extension PostgresMetadataStore {
    public func allBatches(after: String?, limit: Int) async throws -> [StoredBatch] {
        try await Self.batches(
            client.query(
                "SELECT \(unescaped: BatchRow.columns) FROM batches WHERE id > \(after ?? "") ORDER BY id LIMIT \(limit)",
                logger: logger
            )
        )
    }
}
