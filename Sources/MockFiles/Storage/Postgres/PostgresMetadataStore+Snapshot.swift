import PostgresNIO

/// What a snapshot reads beyond the API's own queries. Batches come in the order they were made
/// (a restore inserts them so, and ties in one millisecond list as they did).
extension PostgresMetadataStore {
    public func allBatches(after: String?, limit: Int) async throws -> [StoredBatch] {
        guard let after else {
            return try await Self.batches(
                client.query("SELECT \(unescaped: BatchRow.columns) FROM batches ORDER BY created_at_ms, seq LIMIT \(limit)", logger: logger)
            )
        }
        return try await Self.batches(
            client.query(
                """
                SELECT \(unescaped: BatchRow.columns) FROM batches
                WHERE (created_at_ms, seq) > (SELECT created_at_ms, seq FROM batches WHERE id = \(after))
                ORDER BY created_at_ms, seq LIMIT \(limit)
                """,
                logger: logger
            )
        )
    }
}
