import GRDB

extension SQLiteMetadataStore {
    /// Schema versions, applied in order on open.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-files") { db in
            // `seq` is the rowid: monotonic (AUTOINCREMENT never reuses), the tie-break of the list order.
            try db.execute(
                sql: """
                    CREATE TABLE files (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        tenant TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        filename TEXT NOT NULL,
                        bytes INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        processed_at_ms INTEGER
                    );
                    CREATE INDEX files_by_tenant_order ON files (tenant, created_at, seq);
                    CREATE INDEX files_by_tenant_purpose_order ON files (tenant, purpose, created_at, seq);
                    CREATE INDEX files_by_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;
                    CREATE TABLE file_tombstones (
                        id TEXT PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        deleted_at INTEGER NOT NULL
                    );
                    CREATE INDEX file_tombstones_by_age ON file_tombstones (deleted_at);
                    """
            )
        }
        migrator.registerMigration("v2-uploads") { db in
            try db.execute(
                sql: """
                    CREATE TABLE uploads (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        tenant TEXT NOT NULL,
                        filename TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        bytes INTEGER NOT NULL,
                        mime_type TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        file_lifetime_seconds INTEGER,
                        status TEXT NOT NULL,
                        file_id TEXT
                    );
                    CREATE INDEX uploads_pending_by_expiry ON uploads (expires_at) WHERE status = 'pending';
                    CREATE TABLE upload_parts (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        upload_id TEXT NOT NULL REFERENCES uploads(id),
                        bytes INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX upload_parts_by_upload ON upload_parts (upload_id, seq);
                    """
            )
        }
        migrator.registerMigration("v3-file-digests") { db in
            try db.execute(sql: "ALTER TABLE files ADD COLUMN sha256 TEXT; ALTER TABLE files ADD COLUMN content_type TEXT;")
        }
        migrator.registerMigration("v4-file-totals") { db in
            // Files and bytes per tenant and purpose, kept by every insert and delete, so the
            // dashboard and /metrics read a few rows instead of counting a million.
            try db.execute(
                sql: """
                    CREATE TABLE file_totals (
                        tenant TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        files INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        PRIMARY KEY (tenant, purpose)
                    ) WITHOUT ROWID;
                    INSERT INTO file_totals (tenant, purpose, files, bytes)
                    SELECT tenant, purpose, count(*), sum(bytes) FROM files GROUP BY tenant, purpose;
                    """
            )
        }
        migrator.registerMigration("v5-controls") { db in
            // The clock and fault rules of a server alone, so the data directory holds them too.
            try db.execute(
                sql: """
                    CREATE TABLE controls (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        clock_offset REAL NOT NULL,
                        clock_frozen_at REAL,
                        fault_rules TEXT NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v6-batches") { db in
            try db.execute(sql: SQLiteMetadataStore.batchesTable)
        }
        migrator.registerMigration("v7-batch-rules") { db in
            // The admin batch rules, kept with the fault rules.
            try db.execute(sql: "ALTER TABLE controls ADD COLUMN batch_rules TEXT NOT NULL DEFAULT '[]'")
        }
        migrator.registerMigration("v8-batches-in-creation-order") { db in
            // Batches created in one millisecond (a frozen clock) list in the order they were
            // made: `seq` breaks the tie, as it does for files (ids are random within a second).
            try db.execute(
                sql: """
                    DROP INDEX batches_by_tenant_order;
                    CREATE INDEX batches_by_tenant_order ON batches (tenant, created_at_ms, seq);
                    """
            )
        }
        migrator.registerMigration("v9-batch-events") { db in
            try db.execute(sql: SQLiteMetadataStore.batchEventsTable)
        }
        return migrator
    }
}
