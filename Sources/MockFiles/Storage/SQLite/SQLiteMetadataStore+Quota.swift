import GRDB

extension SQLiteMetadataStore {
    /// The tenant's totals less its expired files not swept yet, in one statement (one snapshot).
    public func visibleBytes(tenant: String, at now: Int64) async throws -> Int64 {
        try immediateReads.readOnCallingThread { db in
            try Int64.fetchOne(db.cachedStatement(sql: Self.visibleBytesSQL), arguments: [tenant, now, tenant]) ?? 0
        }
    }

    /// `+tenant` keeps SQLite on the expiry index, which holds only the expired files the sweeper
    /// has not removed yet; on the tenant index it would read every file the tenant has
    /// (`SQLiteQuotaPlanTests`).
    static let visibleBytesSQL = """
        SELECT (SELECT coalesce(sum(bytes), 0) FROM file_totals WHERE tenant = ?)
             - (SELECT coalesce(sum(bytes), 0) FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? AND +tenant = ?)
        """
}
