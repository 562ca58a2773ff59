import PostgresNIO

/// Leases on the database's clock (`now()`), so instances with drifting clocks still agree.
extension PostgresMetadataStore: LeaseStore {
    public func acquireLease(_ name: String, holder: String, seconds: Int) async throws -> Bool {
        let rows = try await client.query(
            """
            INSERT INTO mockfiles_leases (name, holder, expires_at) VALUES (\(name), \(holder), now() + make_interval(secs => \(Double(seconds))))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE mockfiles_leases.holder = excluded.holder OR mockfiles_leases.expires_at < now()
            RETURNING holder
            """,
            logger: logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }
}
