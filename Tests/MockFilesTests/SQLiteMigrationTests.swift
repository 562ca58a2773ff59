import Foundation
import GRDB
import Testing

@testable import MockFiles

/// A data directory written by an earlier version opens with its files intact and the later
/// tables filled from them.
@Suite struct SQLiteMigrationTests {
    @Test func totalsAreCountedFromTheFilesAnEarlierVersionStored() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            // The schema as the version before file_totals left it.
            let earlier = try DatabaseQueue(path: directory + "/mockfiles.sqlite")
            try SQLiteMetadataStore.migrator.migrate(earlier, upTo: "v3-file-digests")
            try await earlier.write { db in
                for (index, (tenant, purpose, bytes)) in [("acme", "batch", 5), ("acme", "batch", 7), ("acme", "vision", 1), ("b", "batch", 2)]
                    .enumerated()
                {
                    try db.execute(
                        sql: "INSERT INTO files (id, tenant, purpose, filename, bytes, created_at) VALUES (?, ?, ?, 'f', ?, 0)",
                        arguments: ["file-\(index)", tenant, purpose, bytes]
                    )
                }
            }
            try earlier.close()
        }
        let store = try SQLiteMetadataStore(dataDirectory: directory)
        #expect(
            try await store.storedTotals(tenant: "acme") == [
                StoredTotals(purpose: "batch", files: 2, bytes: 12), StoredTotals(purpose: "vision", files: 1, bytes: 1),
            ]
        )
        _ = try await store.insert(StoredFile(id: "file-9", tenant: "b", purpose: "batch", filename: "g", bytes: 3, createdAt: 1, expiresAt: nil))
        #expect(try await store.storedTotals(tenant: "b") == [StoredTotals(purpose: "batch", files: 2, bytes: 5)])
    }
}
