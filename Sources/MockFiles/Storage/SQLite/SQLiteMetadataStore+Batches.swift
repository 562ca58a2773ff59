import Foundation
import GRDB

/// Batch rows. A batch's life is a function of its row and the clock (`BatchLifecycle`), so the
/// row changes only at a cancel and when its results are made; `results_due_at_ms` (the moment
/// it settles, worked out from the row whenever the row is written) lets the sweeper find the
/// batches whose result files are due without computing every batch's state.
extension SQLiteMetadataStore: BatchStore {
    static let batchesTable = """
        CREATE TABLE batches (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            input_file_id TEXT NOT NULL,
            completion_window TEXT NOT NULL,
            metadata TEXT,
            output_lifetime_seconds INTEGER,
            created_at_ms INTEGER NOT NULL,
            schedule TEXT NOT NULL,
            plan TEXT NOT NULL,
            rules TEXT,
            cancel_requested_at_ms INTEGER,
            results_due_at_ms INTEGER,
            results_made INTEGER NOT NULL DEFAULT 0,
            output_file_id TEXT,
            error_file_id TEXT,
            usage TEXT NOT NULL
        );
        CREATE INDEX batches_by_tenant_order ON batches (tenant, created_at_ms, id);
        CREATE INDEX batches_awaiting_results ON batches (results_due_at_ms) WHERE results_made = 0 AND results_due_at_ms IS NOT NULL;
        CREATE INDEX batches_by_unsettled_input ON batches (input_file_id) WHERE results_made = 0;
        """

    public func insertBatch(_ batch: StoredBatch, announcingEnd: Bool) async throws -> Bool {
        let row = try BatchRow(batch)
        return try await database.write { db in
            let inputExists = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM files WHERE id = ? AND tenant = ?)",
                arguments: [batch.inputFileID, batch.tenant]
            )
            guard inputExists == true else { return false }
            try Self.insertBatch(db, row)
            if announcingEnd {
                try db.execute(
                    sql: "INSERT INTO batch_events (batch_id, due_at_ms) VALUES (?, ?)",
                    arguments: [batch.id, batch.endsAtMilliseconds]
                )
            }
            return true
        }
    }

    static func insertBatch(_ db: Database, _ row: BatchRow) throws {
        try db.execute(
            sql: """
                INSERT INTO batches (id, tenant, endpoint, input_file_id, completion_window, metadata, output_lifetime_seconds,
                    created_at_ms, schedule, plan, rules, cancel_requested_at_ms, results_due_at_ms, results_made, output_file_id,
                    error_file_id, usage)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.id, row.tenant, row.endpoint, row.inputFileID, row.completionWindow, row.metadata, row.outputLifetimeSeconds,
                row.createdAtMilliseconds, row.schedule, row.plan, row.rules, row.cancelRequestedAtMilliseconds,
                row.resultsDueAtMilliseconds, row.resultsMade, row.outputFileID, row.errorFileID, row.usage,
            ]
        )
    }

    public func batch(id: String, tenant: String) async throws -> StoredBatch? {
        try await database.read { db in try Self.batch(db, id: id, tenant: tenant) }
    }

    static func batch(_ db: Database, id: String, tenant: String) throws -> StoredBatch? {
        try Row.fetchOne(db, sql: "SELECT \(BatchRow.columns) FROM batches WHERE id = ? AND tenant = ?", arguments: [id, tenant])
            .map(storedBatch)
    }

    public func batches(tenant: String, after: String?, limit: Int) async throws -> [StoredBatch]? {
        try await database.read { db in
            var position = ""
            var arguments: StatementArguments = [tenant]
            if let after {
                guard
                    let cursor = try Row.fetchOne(
                        db,
                        sql: "SELECT created_at_ms, seq FROM batches WHERE id = ? AND tenant = ?",
                        arguments: [after, tenant]
                    )
                else { return nil }
                let createdAt: Int64 = cursor[0]
                let seq: Int64 = cursor[1]
                position = "AND (created_at_ms < ? OR (created_at_ms = ? AND seq < ?))"
                arguments += [createdAt, createdAt, seq]
            }
            arguments += [limit]
            let sql = """
                SELECT \(BatchRow.columns) FROM batches WHERE tenant = ? \(position)
                ORDER BY created_at_ms DESC, seq DESC LIMIT ?
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.storedBatch)
        }
    }

    public func batchesAwaitingResults(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(BatchRow.columns) FROM batches
                    WHERE results_made = 0 AND results_due_at_ms IS NOT NULL AND results_due_at_ms <= ?
                    ORDER BY results_due_at_ms, seq LIMIT ?
                    """,
                arguments: [now, limit]
            ).map(Self.storedBatch)
        }
    }

    public func inputFilesInUse(among ids: [String]) async throws -> Set<String> {
        // A batch that makes no results (it failed, or was cancelled before a line ran) reads its input never again.
        try await values(
            among: ids,
            select: "SELECT input_file_id FROM batches WHERE results_made = 0 AND results_due_at_ms IS NOT NULL AND input_file_id IN"
        )
    }

    public func recordCancel(id: String, tenant: String, _ decide: @Sendable (StoredBatch) throws -> Int64?) async throws -> StoredBatch? {
        try await database.write { db in
            guard var batch = try Self.batch(db, id: id, tenant: tenant) else { return nil }
            guard let moment = try decide(batch) else { return batch }
            batch.cancelRequestedAtMilliseconds = moment
            try db.execute(
                sql: "UPDATE batches SET cancel_requested_at_ms = ?, results_due_at_ms = ? WHERE id = ?",
                arguments: [moment, batch.resultsDueAtMilliseconds, id]
            )
            try db.execute(sql: "UPDATE batch_events SET due_at_ms = ? WHERE batch_id = ?", arguments: [batch.endsAtMilliseconds, id])
            return batch
        }
    }

    public func insertResults(of batch: StoredBatch, files: [StoredFile]) async throws -> Bool {
        let usage = try BatchRow.encode(batch.usage)
        let plan = try BatchRow.encode(batch.plan)
        return try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE batches SET results_made = 1, output_file_id = ?, error_file_id = ?, usage = ?, plan = ?
                    WHERE id = ? AND tenant = ? AND results_made = 0
                    """,
                arguments: [batch.outputFileID, batch.errorFileID, usage, plan, batch.id, batch.tenant]
            )
            guard db.changesCount == 1 else { return false }
            for file in files { _ = try Self.insertFile(db, file) }
            return true
        }
    }

    static func storedBatch(_ row: Row) -> StoredBatch {
        BatchRow(
            id: row[0],
            tenant: row[1],
            endpoint: row[2],
            inputFileID: row[3],
            completionWindow: row[4],
            metadata: row[5],
            outputLifetimeSeconds: row[6],
            createdAtMilliseconds: row[7],
            schedule: row[8],
            plan: row[9],
            rules: row[10],
            cancelRequestedAtMilliseconds: row[11],
            resultsDueAtMilliseconds: row[12],
            resultsMade: row[13],
            outputFileID: row[14],
            errorFileID: row[15],
            usage: row[16]
        ).storedBatch
    }
}
