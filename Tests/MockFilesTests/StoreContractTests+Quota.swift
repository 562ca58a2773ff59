import Foundation
import GRDB
import Testing

@testable import MockFiles

extension StoreContractTests {
    /// The storage quota's measure: a tenant's bytes not deleted and not expired at the instant
    /// asked, whoever else stores what, and unchanged when the sweeper removes an expired file.
    @Test(arguments: BackendUnderTest.available)
    func theQuotaCountsOneTenantsVisibleBytes(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            func insert(_ id: String, bytes: Int64, tenant: String = "acme", purpose: String = "user_data", expiresAt: Int64? = nil) async throws {
                var file = Self.file(id, tenant: tenant, purpose: purpose, expiresAt: expiresAt)
                file.bytes = bytes
                _ = try await store.insert(file)
            }
            func visible(_ tenant: String = "acme", at now: Int64 = Self.now) async throws -> Int64 {
                try await store.visibleBytes(tenant: tenant, at: now)
            }
            #expect(try await visible() == 0)
            try await insert("file-1", bytes: 100)
            try await insert("file-2", bytes: 20, purpose: "batch", expiresAt: Self.now + 10)
            try await insert("file-3", bytes: 3, expiresAt: Self.now)
            // Past 32 bits, so a sum the database widens or narrows would show.
            try await insert("file-4", bytes: 5_000_000_000, tenant: "other")
            try await insert("file-5", bytes: 50_000, tenant: "other", expiresAt: Self.now - 5)
            #expect(try await visible() == 120, "file-3 expires at this instant")
            #expect(try await visible(at: Self.now - 1) == 123)
            #expect(try await visible(at: Self.now + 10) == 100)
            #expect(try await visible("other") == 5_000_000_000)
            #expect(try await visible("ACME") == 0, "tenants are exact bytes")
            _ = try await store.delete(id: "file-1", tenant: "acme", at: Self.now)
            #expect(try await visible() == 20)
            // What the sweeper does with an expired file.
            _ = try await store.delete(id: "file-3", tenant: "acme", at: Self.now)
            #expect(try await visible() == 20)
            #expect(try await visible(at: Self.now - 1) == 20)
        }
    }
}

/// SQLite's plan for the quota read: it must not read every file of the tenant.
@Suite struct SQLiteQuotaPlanTests {
    @Test func theQuotaReadUsesTheExpiryIndexNotTheTenantsFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-plan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteMetadataStore(dataDirectory: directory)
        let plan = try await store.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteMetadataStore.visibleBytesSQL, arguments: ["acme", 0, "acme"])
                .map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("files USING INDEX files_by_expiry") }, "\(plan)")
        #expect(plan.contains { $0.contains("file_totals USING PRIMARY KEY") }, "\(plan)")
        #expect(!plan.contains { $0.contains("files_by_tenant") || $0.hasPrefix("SCAN files") }, "\(plan)")
    }
}
