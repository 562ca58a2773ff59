import GRDB

/// The end events still to send (`BatchEventStore`): a batch's row joined with its event's.
extension SQLiteMetadataStore: BatchEventStore {
    static let batchEventsTable = """
        CREATE TABLE batch_events (
            batch_id TEXT PRIMARY KEY,
            due_at_ms INTEGER NOT NULL
        );
        CREATE INDEX batch_events_by_due ON batch_events (due_at_ms);
        """

    public func batchesToAnnounce(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(BatchRow.columns(of: "b")) FROM batch_events e JOIN batches b ON b.id = e.batch_id
                    WHERE e.due_at_ms <= ? ORDER BY e.due_at_ms, b.seq LIMIT ?
                    """,
                arguments: [now, limit]
            ).map(Self.storedBatch)
        }
    }

    public func removeAnnouncement(batchID: String) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM batch_events WHERE batch_id = ?", arguments: [batchID]) }
    }
}
