import Logging
import PostgresNIO

extension PostgresMetadataStore {
    /// Schema versions, applied in order. Never edit one that shipped: add the next.
    static let migrations: [(version: Int, sql: [String])] = [
        (
            1,
            [
                // `seq` breaks created_at ties (docs/design.md, "Paging has a total order"). It is unique and never changes;
                // with several writers it need not follow commit order (docs/scale-out.md argues why
                // paging stays exact anyway).
                """
                CREATE TABLE files (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    tenant TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    filename TEXT NOT NULL,
                    bytes BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    processed_at_ms BIGINT
                )
                """,
                "CREATE INDEX files_by_tenant_order ON files (tenant, created_at, seq)",
                "CREATE INDEX files_by_tenant_purpose_order ON files (tenant, purpose, created_at, seq)",
                "CREATE INDEX files_by_expiry ON files (expires_at) WHERE expires_at IS NOT NULL",
                """
                CREATE TABLE file_tombstones (
                    id TEXT PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    deleted_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX file_tombstones_by_age ON file_tombstones (deleted_at)",
                """
                CREATE TABLE uploads (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    tenant TEXT NOT NULL,
                    filename TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    bytes BIGINT NOT NULL,
                    mime_type TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    file_lifetime_seconds BIGINT,
                    status TEXT NOT NULL,
                    file_id TEXT
                )
                """,
                "CREATE INDEX uploads_pending_by_expiry ON uploads (expires_at) WHERE status = 'pending'",
                """
                CREATE TABLE upload_parts (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    upload_id TEXT NOT NULL REFERENCES uploads(id),
                    bytes BIGINT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX upload_parts_by_upload ON upload_parts (upload_id, seq)",
            ]
        ),
        (
            2,
            [
                // Which instance runs a periodic job (the expiry sweep), until when.
                "CREATE TABLE mockfiles_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)"
            ]
        ),
        (
            3,
            [
                // The test controls all instances share (SharedControlStore).
                """
                CREATE TABLE mockfiles_controls (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    generation BIGINT NOT NULL,
                    clock_offset DOUBLE PRECISION NOT NULL,
                    clock_frozen_at DOUBLE PRECISION
                )
                """,
                "INSERT INTO mockfiles_controls (id, generation, clock_offset) VALUES (1, 0, 0)",
                "CREATE SEQUENCE mockfiles_fault_ids",
                """
                CREATE TABLE mockfiles_fault_rules (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    rule TEXT NOT NULL,
                    fired INTEGER NOT NULL,
                    remaining INTEGER
                )
                """,
                "CREATE TABLE mockfiles_requests (seq BIGSERIAL PRIMARY KEY, entry TEXT NOT NULL)",
            ]
        ),
        (
            4,
            [
                // The last `seq` a reset cleared: entries after it that are gone were dropped by trimming.
                "ALTER TABLE mockfiles_controls ADD COLUMN requests_cleared_through BIGINT NOT NULL DEFAULT 0"
            ]
        ),
        (
            5,
            [
                // SHA-256 of each file's bytes and the content type sent with them (admin API only).
                "ALTER TABLE files ADD COLUMN sha256 TEXT",
                "ALTER TABLE files ADD COLUMN content_type TEXT",
            ]
        ),
        (
            6,
            [
                // Files and bytes per tenant and purpose, kept by every insert and delete in the
                // same statement, so the dashboard and /metrics read a few rows, not every file.
                """
                CREATE TABLE file_totals (
                    tenant TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    files BIGINT NOT NULL,
                    bytes BIGINT NOT NULL,
                    PRIMARY KEY (tenant, purpose)
                )
                """,
                "LOCK TABLE files IN SHARE MODE",
                """
                INSERT INTO file_totals (tenant, purpose, files, bytes)
                SELECT tenant, purpose, count(*), sum(bytes) FROM files GROUP BY tenant, purpose
                """,
            ]
        ),
        (
            7,
            [
                // Batches (PostgresMetadataStore+Batches.swift says what each column is for).
                """
                CREATE TABLE batches (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    tenant TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    input_file_id TEXT NOT NULL,
                    completion_window TEXT NOT NULL,
                    metadata TEXT,
                    output_lifetime_seconds BIGINT,
                    created_at_ms BIGINT NOT NULL,
                    schedule TEXT NOT NULL,
                    plan TEXT NOT NULL,
                    rules TEXT,
                    cancel_requested_at_ms BIGINT,
                    results_due_at_ms BIGINT,
                    results_made BOOLEAN NOT NULL DEFAULT false,
                    output_file_id TEXT,
                    error_file_id TEXT,
                    usage TEXT NOT NULL
                )
                """,
                "CREATE INDEX batches_by_tenant_order ON batches (tenant, created_at_ms, id)",
                """
                CREATE INDEX batches_awaiting_results ON batches (results_due_at_ms)
                WHERE NOT results_made AND results_due_at_ms IS NOT NULL
                """,
                "CREATE INDEX batches_by_unsettled_input ON batches (input_file_id) WHERE NOT results_made",
            ]
        ),
        (
            8,
            [
                // The admin batch rules: one JSON list, changed under the controls row's lock.
                "ALTER TABLE mockfiles_controls ADD COLUMN batch_rules TEXT NOT NULL DEFAULT '[]'",
                "CREATE SEQUENCE mockfiles_batch_rule_ids",
                // Batches created in one millisecond (a frozen clock) list in the order they were
                // made: `seq` breaks the tie, as it does for files (ids are random within a second).
                "DROP INDEX batches_by_tenant_order",
                "CREATE INDEX batches_by_tenant_order ON batches (tenant, created_at_ms, seq)",
            ]
        ),
        (
            9,
            [
                // Batch end events still to send (PostgresMetadataStore+BatchEvents.swift).
                "CREATE TABLE batch_events (batch_id TEXT PRIMARY KEY, due_at_ms BIGINT NOT NULL)",
                "CREATE INDEX batch_events_by_due ON batch_events (due_at_ms)",
            ]
        ),
    ]

    /// Any key: it only has to be the same in every instance.
    static let migrationLockKey: Int64 = 0x6d6f_636b_6669_6c65  // "mockfile"

    /// Applies the migrations not applied yet, in one transaction. Instances starting at the same
    /// moment queue on an advisory lock, so each version runs exactly once.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS mockfiles_schema_versions (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger
            )
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM mockfiles_schema_versions", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO mockfiles_schema_versions (version) VALUES (\(migration.version))", logger: logger)
                logger.info("database schema migrated", metadata: ["version": "\(migration.version)"])
            }
        }
    }
}
