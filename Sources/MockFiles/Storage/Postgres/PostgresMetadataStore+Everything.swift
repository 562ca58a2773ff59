import Logging
import PostgresNIO

/// A reset and a restore replace every row at once. Another instance may be writing meanwhile,
/// and no barrier in this process holds it back, so the transaction first locks every table
/// against writes: a write transaction then commits before the deletes read their tables or runs
/// after the reset committed (and finds its batch or Upload gone). Without the lock, results of a
/// batch settled on another instance could commit between the delete of the files and that of
/// the batches, and outlive the reset (docs/scale-out.md, "Reset across instances").
extension PostgresMetadataStore {
    /// Parts before their Uploads (the foreign key), batches and their events too.
    static let everyTable = ["upload_parts", "uploads", "files", "file_tombstones", "file_totals", "batches", "batch_events"]

    public func removeEverything() async throws -> RemovedRows {
        try await withEveryTableLocked { connection in
            var removed = RemovedRows()
            let parts = try await deleteAll("upload_parts", returning: "id", on: connection)
            removed.parts = parts.count
            removed.uploads = try await deleteAll("uploads", returning: "id", on: connection).count
            let files = try await deleteAll("files", returning: "id", on: connection)
            removed.files = files.count
            // A batch keeps its input's blob after the file is deleted, until it has run.
            let inputs = try await deleteAll("batches", returning: "input_file_id", on: connection)
            for table in ["file_tombstones", "file_totals", "batch_events"] {
                try await connection.query("DELETE FROM \(unescaped: table)", logger: logger)
            }
            removed.blobIDs = Set(parts).union(files).union(inputs)
            return removed
        }
    }

    public func replaceEverything(with contents: StoreContents) async throws {
        try await withEveryTableLocked { connection in
            for table in Self.everyTable {
                try await connection.query("DELETE FROM \(unescaped: table)", logger: logger)
            }
            for file in contents.files { _ = try await Self.insert(file, on: connection, logger: logger) }
            for upload in contents.uploads { try await Self.insertUpload(upload, on: connection, logger: logger) }
            for part in contents.parts { try await Self.insertPart(part, on: connection, logger: logger) }
            for batch in contents.batches { try await Self.insertBatch(try BatchRow(batch), on: connection, logger: logger) }
        }
    }

    private func deleteAll(_ table: String, returning column: String, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query("DELETE FROM \(unescaped: table) RETURNING \(unescaped: column)", logger: logger)
        var values: [String] = []
        for try await value in rows.decode(String.self) { values.append(value) }
        return values
    }

    /// Runs `body` in a transaction holding every table in EXCLUSIVE mode (reads go on; writes
    /// wait). Waiting for the lock while holding some tables could deadlock with a writer that
    /// takes two in the other order (a batch's results: `batches`, then `files`), so it is asked
    /// for with NOWAIT, again after a pause while a writer holds one. Writes that never pause
    /// would starve that; after a second of trying it waits in the queue, and a deadlock (which
    /// PostgreSQL ends by failing one side) is tried again.
    private func withEveryTableLocked<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let tables = Self.everyTable.joined(separator: ", ")
        let queueAfter = ContinuousClock.now + .seconds(1)
        var pause: Duration = .milliseconds(1)
        while true {
            let wait = ContinuousClock.now < queueAfter ? " NOWAIT" : ""
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("LOCK TABLE \(unescaped: tables) IN EXCLUSIVE MODE\(unescaped: wait)", logger: logger)
                    return try await body(connection)
                }
            } catch let error as PostgresTransactionError where Self.isLockConflict(error.closureError) {
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
            }
        }
    }

    /// SQLSTATE 55P03 (NOWAIT found a table locked) or 40P01 (chosen to end a deadlock).
    private static func isLockConflict(_ error: (any Error)?) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "55P03" || state == "40P01"
    }
}
