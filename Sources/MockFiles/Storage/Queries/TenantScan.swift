enum TenantScan {
    /// A loose index scan: each step asks the tenant index for the next larger tenant, so the
    /// cost grows with the number of tenants, not of files.
    static let tenantsSQL = """
        WITH RECURSIVE next(tenant) AS (
            SELECT min(tenant) FROM files
            UNION ALL
            SELECT (SELECT min(tenant) FROM files WHERE tenant > next.tenant) FROM next WHERE next.tenant IS NOT NULL
        )
        SELECT tenant FROM next WHERE tenant IS NOT NULL LIMIT
        """
}
