import Foundation
import NIOCore
import PostgresNIO

/// The shared test controls in three tables: one row for the clock, the generation and the batch
/// rules (one JSON list), the fault rules (counts in columns, so a firing is one atomic UPDATE),
/// and the request log.
extension PostgresMetadataStore: SharedControlStore {
    public func controlGeneration() async throws -> Int64 {
        for try await generation in try await client.execute(ControlsGenerationStatement(), logger: logger) { return generation }
        return 0
    }

    public func loadControls() async throws -> SharedControls {
        try await client.withTransaction(logger: logger) { connection in
            var controls = SharedControls(generation: 0, clockOffset: 0, clockFrozenAt: nil, faultRules: [])
            let state = try await connection.query(
                "SELECT generation, clock_offset, clock_frozen_at, batch_rules FROM mockfiles_controls WHERE id = 1",
                logger: logger
            )
            for try await (generation, offset, frozenAt, batchRules) in state.decode((Int64, Double, Double?, String).self) {
                controls.generation = generation
                controls.clockOffset = offset
                controls.clockFrozenAt = frozenAt
                controls.batchRules = try BatchRule.rules(storedText: batchRules)
            }
            let rules = try await connection.query("SELECT rule, fired, remaining FROM mockfiles_fault_rules ORDER BY seq", logger: logger)
            for try await row in rules.decode((String, Int, Int?).self) { controls.faultRules.append(try Self.faultRule(row)) }
            return controls
        }
    }

    static func faultRule(_ row: (String, Int, Int?)) throws -> FaultRule {
        var rule = try JSONDecoder().decode(FaultRule.self, from: Data(row.0.utf8))
        rule.fired = row.1
        rule.remaining = row.2
        return rule
    }

    public func saveClock(offset: Double, frozenAt: Double?) async throws {
        try await client.query(
            """
            UPDATE mockfiles_controls SET generation = generation + 1, clock_offset = \(offset), clock_frozen_at = \(frozenAt)
            WHERE id = 1
            """,
            logger: logger
        )
    }

    public func insertFaultRule(_ rule: FaultRule) async throws -> FaultRule {
        try await client.withTransaction(logger: logger) { connection in
            var number: Int64 = 0
            for try await value in try await connection.query("SELECT nextval('mockfiles_fault_ids')", logger: logger).decode(Int64.self) {
                number = value
            }
            var rule = rule
            rule.id = "fault_\(number)"
            let text = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
            try await connection.query(
                "INSERT INTO mockfiles_fault_rules (id, rule, fired, remaining) VALUES (\(rule.id), \(text), 0, \(rule.remaining))",
                logger: logger
            )
            try await connection.query("UPDATE mockfiles_controls SET generation = generation + 1 WHERE id = 1", logger: logger)
            return rule
        }
    }

    public func replaceFaultRules(with rules: [FaultRule]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM mockfiles_fault_rules", logger: logger)
            for rule in rules {
                let text = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
                try await connection.query(
                    """
                    INSERT INTO mockfiles_fault_rules (id, rule, fired, remaining)
                    VALUES (\(rule.id), \(text), \(rule.fired), \(rule.remaining))
                    """,
                    logger: logger
                )
            }
            // Rules added later get ids after the restored ones.
            let highest = rules.compactMap { Int64($0.id.dropFirst("fault_".count)) }.max() ?? 0
            try await connection.query(
                "SELECT setval('mockfiles_fault_ids', greatest(\(highest), (SELECT last_value FROM mockfiles_fault_ids)))",
                logger: logger
            )
            try await connection.query("UPDATE mockfiles_controls SET generation = generation + 1 WHERE id = 1", logger: logger)
        }
    }

    public func deleteFaultRule(id: String) async throws -> Bool {
        try await countAndBumpGeneration("DELETE FROM mockfiles_fault_rules WHERE id = \(id) RETURNING 1") > 0
    }

    public func deleteAllFaultRules() async throws -> Int {
        try await countAndBumpGeneration("DELETE FROM mockfiles_fault_rules RETURNING 1")
    }

    /// Runs `change` (a statement with RETURNING) and, when it touched a row, bumps the generation
    /// in the same statement.
    private func countAndBumpGeneration(_ change: PostgresQuery) async throws -> Int {
        var query = change
        query.sql =
            "WITH gone AS (\(change.sql)), bumped AS (UPDATE mockfiles_controls SET generation = generation + 1 "
            + "WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)) SELECT count(*) FROM gone"
        let rows = try await client.query(query, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    public func recordFiring(ofRule id: String) async throws -> FaultRule? {
        let rows = try await client.query(
            """
            UPDATE mockfiles_fault_rules SET fired = fired + 1, remaining = remaining - 1
            WHERE id = \(id) AND (remaining IS NULL OR remaining > 0)
            RETURNING rule, fired, remaining
            """,
            logger: logger
        )
        for try await row in rows.decode((String, Int, Int?).self) { return try Self.faultRule(row) }
        return nil
    }

    /// The log is history, not state: its INSERT commits without waiting for the WAL to reach the
    /// disk (`synchronous_commit` off for this statement's own transaction, set in the statement so
    /// it stays one round trip). What tests rely on still holds: an asynchronous commit is visible
    /// to every other session as soon as it returns, so a request answered here is in the log that
    /// `/admin/requests` and `/admin/verify` read on any instance. What it gives up: a crash of
    /// PostgreSQL itself may lose the last few hundred milliseconds of entries (never a file row).
    public func appendRequests(_ entries: [RequestLogEntry], capacity: Int) async throws {
        let texts = entries.map(\.storedText)
        var newest: Int64 = 0
        for try await sequence in try await client.execute(AppendRequestsStatement(entries: texts), logger: logger) {
            newest = max(newest, sequence)
        }
        if let trim = Self.trimRequests(newest: newest, added: entries.count, capacity: capacity) {
            try await client.query(trim, logger: logger)
        }
    }

    /// Trimming now and then keeps the log near `capacity` without a DELETE per request: when
    /// the entries just added, the newest numbered `newest`, passed a multiple of 64.
    static func trimRequests(newest: Int64, added: Int, capacity: Int) -> PostgresQuery? {
        guard newest / 64 != (newest - Int64(added)) / 64 else { return nil }
        return "DELETE FROM mockfiles_requests WHERE seq <= \(newest - Int64(capacity))"
    }

    public func requestJournal(capacity: Int) async throws -> RequestJournal {
        let rows = try await client.query(
            """
            SELECT r.seq, r.entry, c.requests_cleared_through
            FROM mockfiles_requests r, mockfiles_controls c
            WHERE c.id = 1 AND r.seq > c.requests_cleared_through
            ORDER BY r.seq DESC LIMIT \(Int64(capacity))
            """,
            logger: logger
        )
        var entries: [RequestLogEntry] = []
        var clearedThrough: Int64 = 0
        for try await (sequence, text, through) in rows.decode((Int64, String, Int64).self) {
            var entry = try JSONDecoder().decode(RequestLogEntry.self, from: Data(text.utf8))
            entry.sequence = sequence
            entries.append(entry)
            clearedThrough = through
        }
        // Every number since the last clear was one entry; those not held any more were trimmed.
        let taken = entries.first.map { Int($0.sequence - clearedThrough) } ?? 0
        return RequestJournal(entries: entries, dropped: max(0, taken - entries.count))
    }

    public func clearRequests() async throws -> Int {
        let rows = try await client.query(
            """
            WITH gone AS (DELETE FROM mockfiles_requests RETURNING seq),
                 marked AS (
                     UPDATE mockfiles_controls SET requests_cleared_through = GREATEST(
                         requests_cleared_through, (SELECT COALESCE(max(seq), 0) FROM gone))
                     WHERE id = 1
                 )
            SELECT count(*) FROM gone
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}

/// Whether this instance's copy of the controls is current: asked by every request that is not a
/// read of files (those carry it in their own statement), so prepared.
struct ControlsGenerationStatement: PostgresPreparedStatement {
    static let name = "controls_generation"
    static let sql = "SELECT generation FROM mockfiles_controls WHERE id = 1"
    typealias Row = Int64

    func makeBindings() -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}

/// Request-log entries in their order, committed without waiting for the WAL flush
/// (`appendRequests`); every `/v1` request writes one, so prepared.
struct AppendRequestsStatement: PostgresPreparedStatement {
    static let name = "append_requests"
    static let sql = """
        INSERT INTO mockfiles_requests (entry)
        SELECT entry FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit,
            unnest($1::TEXT[]) WITH ORDINALITY AS given (entry, position)
        ORDER BY position
        RETURNING seq
        """
    typealias Row = Int64

    var entries: [String]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(entries)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}

extension RequestLogEntry {
    /// The entry as the shared log stores it: what `Codable` writes (the same keys, read back
    /// with `JSONDecoder`), written directly. JSONEncoder was 3 % of a shared `GET`'s CPU.
    var storedText: String {
        var json = JSONWriter(layout: .compact, capacity: 384)
        json.beginObject()
        json.field("seq", sequence)
        json.field("request_id", requestID)
        json.field("instance", instance)
        json.field("method", method)
        json.field("path", path)
        json.field("status", Int64(status))
        json.field("tenant", tenant)
        json.field("api_key_hint", apiKeyHint)
        json.field("object_id", objectID)
        json.field("content_type", contentType)
        json.key("multipart_fields")
        if let multipartFields {
            json.beginArray()
            for name in multipartFields { json.string(name) }
            json.endArray()
        } else {
            json.null()
        }
        json.key("error")
        if let error {
            json.beginObject()
            json.field("type", error.type)
            json.field("code", error.code)
            json.field("param", error.param)
            json.endObject()
        } else {
            json.null()
        }
        json.field("bytes_in", bytesIn)
        json.field("bytes_out", bytesOut)
        json.key("duration_ms")
        json.double(durationMilliseconds)
        json.key("timestamp")
        json.double(timestamp)
        json.field("direction", direction.rawValue)
        json.endObject()
        return String(buffer: json.finish())
    }
}
