import PostgresNIO

extension PostgresMetadataStore {
    /// The tenant's totals less its expired files not swept yet, in one statement (one snapshot).
    public func visibleBytes(tenant: String, at now: Int64) async throws -> Int64 {
        let rows = try await client.query(
            """
            SELECT (SELECT coalesce(sum(bytes), 0) FROM file_totals WHERE tenant = \(tenant))::BIGINT
                 - (SELECT coalesce(sum(bytes), 0) FROM files
                    WHERE expires_at IS NOT NULL AND expires_at <= \(now) AND tenant = \(tenant))::BIGINT
            """,
            logger: logger
        )
        for try await bytes in rows.decode(Int64.self) { return bytes }
        return 0
    }
}
