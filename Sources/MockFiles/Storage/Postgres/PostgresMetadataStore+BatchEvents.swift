import PostgresNIO

/// The end events still to send (`BatchEventStore`): a batch's row joined with its event's.
extension PostgresMetadataStore: BatchEventStore {
    public func batchesToAnnounce(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await Self.batches(
            client.query(
                """
                SELECT \(unescaped: BatchRow.columns(of: "b")) FROM batch_events e JOIN batches b ON b.id = e.batch_id
                WHERE e.due_at_ms <= \(now) ORDER BY e.due_at_ms, b.seq LIMIT \(limit)
                """,
                logger: logger
            )
        )
    }

    public func removeAnnouncement(batchID: String) async throws {
        try await client.query("DELETE FROM batch_events WHERE batch_id = \(batchID)", logger: logger)
    }
}
