import Foundation
import Testing

@testable import MockFiles

/// What the services rely on from a metadata store, written once and run against every backend
/// pair (`BackendUnderTest`): paging in a total order, tenancy by exact bytes, tombstones, expiry,
/// concurrent inserts, and the atomic rules of Uploads.
@Suite struct StoreContractTests {
    static let now: Int64 = 1_750_000_000

    static func file(
        _ id: String,
        tenant: String = "acme",
        purpose: String = "user_data",
        createdAt: Int64 = now,
        expiresAt: Int64? = nil
    )
        -> StoredFile
    {
        StoredFile(id: id, tenant: tenant, purpose: purpose, filename: "\(id).txt", bytes: 10, createdAt: createdAt, expiresAt: expiresAt)
    }

    /// Walks every page of `query` and returns the ids in the order seen.
    static func walk(_ store: any MetadataStore, _ query: FileListQuery) async throws -> [String] {
        var query = query
        var seen: [String] = []
        while true {
            let page = try await store.list(query)
            seen += page.map(\.id)
            guard page.count == query.limit, let last = page.last else { return seen }
            query.after = last.cursor
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func pagingFollowsCreatedAtThenSequenceBothWays(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            var inserted: [StoredFile] = []
            // Five files per second: ties that only the sequence orders.
            for index in 0..<23 {
                inserted.append(try await stores.metadata.insert(Self.file("file-\(index)", createdAt: Self.now - Int64(4 - index / 5))))
            }
            _ = try await stores.metadata.insert(Self.file("file-other", tenant: "other"))
            let ascending = inserted.sorted { $0.cursor < $1.cursor }.map(\.id)
            #expect(ascending == inserted.map(\.id), "a later insert sorts after an earlier one")
            let down = try await Self.walk(stores.metadata, FileListQuery(tenant: "acme", order: .desc, limit: 4, now: Self.now))
            #expect(down == ascending.reversed())
            let up = try await Self.walk(stores.metadata, FileListQuery(tenant: "acme", order: .asc, limit: 5, now: Self.now))
            #expect(up == ascending)
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func listingLeavesOutExpiredFilesAndFiltersByPurpose(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            _ = try await stores.metadata.insert(Self.file("file-live", expiresAt: Self.now + 1))
            _ = try await stores.metadata.insert(Self.file("file-expired", expiresAt: Self.now))
            _ = try await stores.metadata.insert(Self.file("file-batch", purpose: "batch"))
            let all = try await stores.metadata.list(FileListQuery(tenant: "acme", limit: 10, now: Self.now))
            #expect(Set(all.map(\.id)) == ["file-live", "file-batch"])
            let batch = try await stores.metadata.list(FileListQuery(tenant: "acme", purpose: "batch", limit: 10, now: Self.now))
            #expect(batch.map(\.id) == ["file-batch"])
            let expired = try await stores.metadata.expiredFiles(at: Self.now, limit: 10)
            #expect(expired.map(\.id) == ["file-expired"])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func theAdminListFiltersEveryTenantByNameDigestAndTime(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            func insert(_ id: String, tenant: String, filename: String, sha256: String?, createdAt: Int64 = Self.now) async throws -> StoredFile {
                var file = Self.file(id, tenant: tenant, createdAt: createdAt)
                file.filename = filename
                file.sha256 = sha256
                file.contentType = "text/csv"
                return try await stores.metadata.insert(file)
            }
            let one = try await insert("file-1", tenant: "a", filename: "Report 100%.csv", sha256: "aa", createdAt: Self.now - 10)
            _ = try await insert("file-2", tenant: "b", filename: "report_1.csv", sha256: "bb")
            _ = try await insert("file-3", tenant: "a", filename: "[draft]?.csv", sha256: nil)
            // Names a wildcard `_` or `%` would match, so the escaping is what keeps them out.
            _ = try await insert("file-4", tenant: "b", filename: "reportX1.csv", sha256: nil)
            _ = try await insert("file-5", tenant: "b", filename: "a100b.csv", sha256: nil)
            func ids(_ change: (inout AdminFileQuery) -> Void) async throws -> [String] {
                var query = AdminFileQuery()
                change(&query)
                return try await stores.metadata.adminFiles(query).map(\.id)
            }
            #expect(try await ids { _ in } == ["file-1", "file-2", "file-3", "file-4", "file-5"])
            #expect(try await ids { $0.tenant = "a" } == ["file-1", "file-3"])
            #expect(try await ids { $0.filenamePattern = "*100%.csv" } == ["file-1"], "% is literal")
            #expect(try await ids { $0.filenamePattern = "report?1.csv" } == [], "? is literal")
            #expect(try await ids { $0.filenamePattern = "report_*" } == ["file-2"], "_ is literal, and case counts")
            #expect(try await ids { $0.filenamePattern = "[draft]?.csv" } == ["file-3"])
            #expect(try await ids { $0.sha256 = "aa" } == ["file-1"])
            #expect(try await ids { $0.createdSince = Self.now - 5 } == ["file-2", "file-3", "file-4", "file-5"])
            #expect(
                try await ids {
                    $0.afterSequence = one.sequence
                    $0.limit = 1
                } == ["file-2"]
            )
            let stored = try #require(try await stores.metadata.adminFiles(AdminFileQuery()).first)
            #expect(stored.sha256 == "aa" && stored.contentType == "text/csv" && stored.tenant == "a")
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func tenantsAreComparedAsExactBytes(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            _ = try await stores.metadata.insert(Self.file("file-a", tenant: "key:sk-abc"))
            for other in ["key:sk-ABC", "key:sk-abc ", "key:sk-ab", "key:ѕk-abc"] {
                #expect(try await stores.metadata.file(id: "file-a", tenant: other) == nil, "\(other) must not see it")
                #expect(try await stores.metadata.list(FileListQuery(tenant: other, limit: 10, now: Self.now)).isEmpty)
                #expect(try await stores.metadata.delete(id: "file-a", tenant: other, at: Self.now) == nil)
                #expect(try await stores.metadata.cursor(ofFileID: "file-a", tenant: other) == nil)
            }
            #expect(try await stores.metadata.file(id: "file-a", tenant: "key:sk-abc")?.id == "file-a")
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func aDeletedFileKeepsItsPlaceUntilItsTombstoneIsPruned(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let stored = try await stores.metadata.insert(Self.file("file-gone"))
            let deleted = try await stores.metadata.delete(id: "file-gone", tenant: "acme", at: Self.now + 5)
            #expect(deleted == stored)
            #expect(try await stores.metadata.file(id: "file-gone", tenant: "acme") == nil)
            #expect(try await stores.metadata.delete(id: "file-gone", tenant: "acme", at: Self.now + 6) == nil, "a second delete finds nothing")
            #expect(try await stores.metadata.cursor(ofFileID: "file-gone", tenant: "acme") == stored.cursor)
            #expect(try await stores.metadata.pruneTombstones(deletedBefore: Self.now + 5) == 0, "pruning is strictly before")
            #expect(try await stores.metadata.pruneTombstones(deletedBefore: Self.now + 6) == 1)
            #expect(try await stores.metadata.cursor(ofFileID: "file-gone", tenant: "acme") == nil)
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func concurrentInsertsEachGetTheirOwnSequenceAndAreListedOnce(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let metadata = stores.metadata
            let stored = try await withThrowingTaskGroup(of: StoredFile.self) { group in
                for index in 0..<100 { group.addTask { try await metadata.insert(Self.file("file-c\(index)")) } }
                return try await group.reduce(into: [StoredFile]()) { $0.append($1) }
            }
            #expect(Set(stored.map(\.sequence)).count == 100)
            let walked = try await Self.walk(metadata, FileListQuery(tenant: "acme", limit: 7, now: Self.now))
            #expect(walked.count == 100 && Set(walked) == Set(stored.map(\.id)))
            #expect(try await metadata.existingFileIDs(among: ["file-c1", "file-c99", "file-none"]) == ["file-c1", "file-c99"])
            let totals = try await metadata.storedTotals()
            #expect(totals == [StoredTotals(purpose: "user_data", files: 100, bytes: 1000)])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func removeEverythingEmptiesEveryTableAndCounts(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            _ = try await stores.metadata.insert(Self.file("file-1"))
            _ = try await stores.metadata.insert(Self.file("file-2"))
            _ = try await stores.metadata.delete(id: "file-2", tenant: "acme", at: Self.now)
            try await stores.metadata.insertUpload(Self.upload("upload-1"))
            #expect(try await stores.metadata.insertPart(Self.part("part-1", of: "upload-1"), tenant: "acme", now: Self.now))
            let counts = try await stores.metadata.removeEverything()
            #expect(counts.files == 1 && counts.uploads == 1 && counts.parts == 1)
            #expect(try await stores.metadata.cursor(ofFileID: "file-2", tenant: "acme") == nil, "tombstones go too")
            #expect(try await stores.metadata.upload(id: "upload-1", tenant: "acme") == nil)
        }
    }
}

extension StoreContractTests {
    /// One holder at a time; the holder renews; another takes over only once the lease lapsed.
    @Test(arguments: BackendUnderTest.available)
    func aLeaseHasOneHolderUntilItLapses(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let leases = stores.leases
            #expect(try await leases.acquireLease("sweep", holder: "a", seconds: 1))
            #expect(try await leases.acquireLease("sweep", holder: "a", seconds: 1), "the holder renews")
            guard backend != .embedded else { return }  // alone, every lease is its own
            #expect(try await !leases.acquireLease("sweep", holder: "b", seconds: 1))
            #expect(try await leases.acquireLease("other-job", holder: "b", seconds: 1), "leases are per name")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await leases.acquireLease("sweep", holder: "b", seconds: 1), "a lapsed lease is free")
            #expect(try await !leases.acquireLease("sweep", holder: "a", seconds: 1))
        }
    }
}
