import Logging
import PostgresNIO

/// Batch rows. The input file's row is taken `FOR SHARE` while a batch naming it is inserted, so
/// a deletion of that file either comes first (the batch is refused) or waits and then sees the
/// batch (its blob stays for it). A cancel takes the batch's row `FOR UPDATE`; making the results
/// is one conditional update, so of two instances making them at once one writes and the other
/// finds `results_made` set.
extension PostgresMetadataStore: BatchStore {
    typealias BatchColumns = (
        String, String, String, String, String, String?, Int64?, Int64, String, String, String?, Int64?, Int64?, Bool, String?, String?,
        String
    )

    static func storedBatch(_ row: BatchColumns) -> StoredBatch {
        BatchRow(
            id: row.0,
            tenant: row.1,
            endpoint: row.2,
            inputFileID: row.3,
            completionWindow: row.4,
            metadata: row.5,
            outputLifetimeSeconds: row.6,
            createdAtMilliseconds: row.7,
            schedule: row.8,
            plan: row.9,
            rules: row.10,
            cancelRequestedAtMilliseconds: row.11,
            resultsDueAtMilliseconds: row.12,
            resultsMade: row.13,
            outputFileID: row.14,
            errorFileID: row.15,
            usage: row.16
        ).storedBatch
    }

    static func batches(_ rows: PostgresRowSequence) async throws -> [StoredBatch] {
        var batches: [StoredBatch] = []
        for try await row in rows.decode(BatchColumns.self) { batches.append(storedBatch(row)) }
        return batches
    }

    public func insertBatch(_ batch: StoredBatch, announcingEnd: Bool) async throws -> Bool {
        let row = try BatchRow(batch)
        return try await client.withTransaction(logger: logger) { connection in
            let input = try await connection.query(
                "SELECT 1 FROM files WHERE id = \(batch.inputFileID) AND tenant = \(batch.tenant) FOR SHARE",
                logger: logger
            )
            var found = false
            for try await _ in input { found = true }
            guard found else { return false }
            try await Self.insertBatch(row, on: connection, logger: logger)
            if announcingEnd {
                try await connection.query(
                    "INSERT INTO batch_events (batch_id, due_at_ms) VALUES (\(batch.id), \(batch.endsAtMilliseconds))",
                    logger: logger
                )
            }
            return true
        }
    }

    static func insertBatch(_ row: BatchRow, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO batches (id, tenant, endpoint, input_file_id, completion_window, metadata, output_lifetime_seconds,
                created_at_ms, schedule, plan, rules, cancel_requested_at_ms, results_due_at_ms, results_made, output_file_id,
                error_file_id, usage)
            VALUES (\(row.id), \(row.tenant), \(row.endpoint), \(row.inputFileID), \(row.completionWindow), \(row.metadata),
                \(row.outputLifetimeSeconds), \(row.createdAtMilliseconds), \(row.schedule), \(row.plan), \(row.rules),
                \(row.cancelRequestedAtMilliseconds), \(row.resultsDueAtMilliseconds), \(row.resultsMade), \(row.outputFileID),
                \(row.errorFileID), \(row.usage))
            """,
            logger: logger
        )
    }

    public func batch(id: String, tenant: String) async throws -> StoredBatch? {
        try await client.withConnection { connection in try await Self.batch(id: id, tenant: tenant, lock: "", on: connection, logger: logger) }
    }

    static func batch(id: String, tenant: String, lock: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredBatch? {
        let rows = try await connection.query(
            "SELECT \(unescaped: BatchRow.columns) FROM batches WHERE id = \(id) AND tenant = \(tenant) \(unescaped: lock)",
            logger: logger
        )
        return try await batches(rows).first
    }

    public func batches(tenant: String, after: String?, limit: Int) async throws -> [StoredBatch]? {
        try await client.withConnection { connection in
            guard let after else {
                return try await Self.batches(
                    connection.query(
                        """
                        SELECT \(unescaped: BatchRow.columns) FROM batches WHERE tenant = \(tenant)
                        ORDER BY created_at_ms DESC, seq DESC LIMIT \(limit)
                        """,
                        logger: logger
                    )
                )
            }
            let cursorRows = try await connection.query(
                "SELECT created_at_ms, seq FROM batches WHERE id = \(after) AND tenant = \(tenant)",
                logger: logger
            )
            var cursor: (Int64, Int64)?
            for try await row in cursorRows.decode((Int64, Int64).self) { cursor = row }
            guard let (createdAt, seq) = cursor else { return nil }
            return try await Self.batches(
                connection.query(
                    """
                    SELECT \(unescaped: BatchRow.columns) FROM batches
                    WHERE tenant = \(tenant) AND (created_at_ms < \(createdAt) OR (created_at_ms = \(createdAt) AND seq < \(seq)))
                    ORDER BY created_at_ms DESC, seq DESC LIMIT \(limit)
                    """,
                    logger: logger
                )
            )
        }
    }

    public func batchesAwaitingResults(dueBy now: Int64, limit: Int) async throws -> [StoredBatch] {
        try await Self.batches(
            client.query(
                """
                SELECT \(unescaped: BatchRow.columns) FROM batches
                WHERE NOT results_made AND results_due_at_ms IS NOT NULL AND results_due_at_ms <= \(now)
                ORDER BY results_due_at_ms, seq LIMIT \(limit)
                """,
                logger: logger
            )
        )
    }

    public func inputFilesInUse(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try await client.query(
            // A batch that makes no results (it failed, or was cancelled before a line ran) reads its input never again.
            """
            SELECT DISTINCT input_file_id FROM batches
            WHERE NOT results_made AND results_due_at_ms IS NOT NULL AND input_file_id = ANY(\(ids))
            """,
            logger: logger
        )
        var found = Set<String>()
        for try await id in rows.decode(String.self) { found.insert(id) }
        return found
    }

    public func recordCancel(id: String, tenant: String, _ decide: @Sendable (StoredBatch) throws -> Int64?) async throws -> StoredBatch? {
        // `decide`'s refusal is returned, not thrown, from the transaction: postgres-nio wraps an
        // error thrown there in `PostgresTransactionError`, which the service would not recognise
        // (a 409 would become a 500). Nothing is written before `decide` answers.
        let outcome: Result<StoredBatch?, any Error> = try await client.withTransaction(logger: logger) { connection in
            guard var batch = try await Self.batch(id: id, tenant: tenant, lock: "FOR UPDATE", on: connection, logger: logger) else {
                return .success(nil)
            }
            let moment: Int64?
            do {
                moment = try decide(batch)
            } catch {
                return .failure(error)
            }
            guard let moment else { return .success(batch) }
            batch.cancelRequestedAtMilliseconds = moment
            try await connection.query(
                """
                UPDATE batches SET cancel_requested_at_ms = \(moment), results_due_at_ms = \(batch.resultsDueAtMilliseconds)
                WHERE id = \(id)
                """,
                logger: logger
            )
            try await connection.query(
                "UPDATE batch_events SET due_at_ms = \(batch.endsAtMilliseconds) WHERE batch_id = \(id)",
                logger: logger
            )
            return .success(batch)
        }
        return try outcome.get()
    }

    public func insertResults(of batch: StoredBatch, files: [StoredFile]) async throws -> Bool {
        let usage = try BatchRow.encode(batch.usage)
        let plan = try BatchRow.encode(batch.plan)
        return try await client.withTransaction(logger: logger) { connection in
            let claimed = try await connection.query(
                """
                UPDATE batches SET results_made = true, output_file_id = \(batch.outputFileID), error_file_id = \(batch.errorFileID),
                    usage = \(usage), plan = \(plan)
                WHERE id = \(batch.id) AND tenant = \(batch.tenant) AND NOT results_made
                RETURNING 1
                """,
                logger: logger
            )
            var won = false
            for try await _ in claimed { won = true }
            guard won else { return false }
            for file in files { _ = try await Self.insert(file, on: connection, logger: logger) }
            return true
        }
    }
}
