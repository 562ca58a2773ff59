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
    func aPageAfterAFileIDIsThePageAfterItsPosition(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            // Three files per second, purposes alternating; one deleted (its tombstone keeps its place).
            for index in 0..<12 {
                let purpose = index % 2 == 0 ? "user_data" : "batch"
                _ = try await stores.metadata.insert(Self.file("file-\(index)", purpose: purpose, createdAt: Self.now - Int64(index / 3)))
            }
            _ = try await stores.metadata.insert(Self.file("file-other", tenant: "other"))
            _ = try await stores.metadata.delete(id: "file-5", tenant: "acme", at: Self.now)
            for order in [FileListQuery.Order.asc, .desc] {
                for purpose in [nil, "batch"] {
                    let query = FileListQuery(tenant: "acme", purpose: purpose, order: order, limit: 4, now: Self.now)
                    for after in ["file-3", "file-5", "file-8", "file-11"] {
                        var byPosition = query
                        byPosition.after = try #require(try await stores.metadata.cursor(ofFileID: after, tenant: "acme"))
                        let expected = try await stores.metadata.list(byPosition).map(\.id)
                        let page = try await stores.metadata.list(query, afterFileID: after)
                        #expect(page?.map(\.id) == expected, "\(order) \(purpose ?? "all") after \(after)")
                    }
                    #expect(try await stores.metadata.list(query, afterFileID: "file-never") == nil)
                    #expect(try await stores.metadata.list(query, afterFileID: "file-other") == nil, "another tenant's file")
                }
            }
        }
    }

    /// Shared reads carry the controls' generation in their own statement (`ControlsGenerationProbe`).
    @Test(arguments: BackendUnderTest.available)
    func sharedReadsReportTheControlsGenerationTheySaw(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            guard let shared = stores.metadata as? any SharedControlStore else { return }
            _ = try await stores.metadata.insert(Self.file("file-1"))
            func generationSeen(by read: () async throws -> Void) async throws -> ControlsGenerationProbe {
                let probe = ControlsGenerationProbe()
                try await ControlsGenerationProbe.$current.withValue(probe) { try await read() }
                return probe
            }
            let before = try await shared.controlGeneration()
            let reads: [(String, () async throws -> Void)] = [
                ("a file", { _ = try await stores.metadata.file(id: "file-1", tenant: "acme") }),
                ("no file", { _ = try await stores.metadata.file(id: "file-none", tenant: "acme") }),
                ("a page", { _ = try await stores.metadata.list(FileListQuery(tenant: "acme", limit: 5, now: Self.now)) }),
                ("an empty page", { _ = try await stores.metadata.list(FileListQuery(tenant: "nobody", limit: 5, now: Self.now)) }),
                (
                    "a page after",
                    { _ = try await stores.metadata.list(FileListQuery(tenant: "acme", limit: 5, now: Self.now), afterFileID: "file-1") }
                ),
            ]
            for (what, read) in reads {
                #expect(try await generationSeen(by: read).saw(only: before), "\(what)")
            }
            try await shared.saveClock(offset: 60, frozenAt: nil)
            for (what, read) in reads {
                let probe = try await generationSeen(by: read)
                #expect(probe.saw(only: before + 1) && !probe.saw(only: before), "\(what) after a change")
            }
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
            #expect(counts.blobIDs == ["file-1", "part-1"], "the blobs the deleted rows named; a deleted file's is gone already")
            #expect(try await stores.metadata.cursor(ofFileID: "file-2", tenant: "acme") == nil, "tombstones go too")
            #expect(try await stores.metadata.upload(id: "upload-1", tenant: "acme") == nil)
        }
    }
}

extension StoreContractTests {
    /// The per-tenant totals are kept by every write path and always equal what a count of the
    /// rows says: inserts, deletes, a completed Upload, a restore and a reset.
    @Test(arguments: BackendUnderTest.available)
    func totalsPerTenantAndPurposeFollowEveryWrite(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            func sized(_ id: String, tenant: String = "acme", purpose: String = "user_data", bytes: Int64) -> StoredFile {
                var file = Self.file(id, tenant: tenant, purpose: purpose)
                file.bytes = bytes
                return file
            }
            _ = try await store.insert(sized("file-1", bytes: 100))
            _ = try await store.insert(sized("file-2", bytes: 20))
            _ = try await store.insert(sized("file-3", purpose: "vision", bytes: 7))
            _ = try await store.insert(sized("file-4", tenant: "acme ", bytes: 1))
            _ = try await store.delete(id: "file-2", tenant: "acme", at: Self.now)
            _ = try await store.delete(id: "file-2", tenant: "acme", at: Self.now)
            try await store.insertUpload(Self.upload("upload-1"))
            #expect(try await store.insertPart(Self.part("part-1", of: "upload-1"), tenant: "acme", now: Self.now))
            #expect(
                try await store.complete(uploadID: "upload-1", tenant: "acme", file: sized("file-5", purpose: "batch", bytes: 30), now: Self.now)
                    != nil
            )
            #expect(
                try await store.storedTotals(tenant: "acme") == [
                    StoredTotals(purpose: "batch", files: 1, bytes: 30), StoredTotals(purpose: "user_data", files: 1, bytes: 100),
                    StoredTotals(purpose: "vision", files: 1, bytes: 7),
                ]
            )
            #expect(try await store.storedTotals(tenant: "acme ") == [StoredTotals(purpose: "user_data", files: 1, bytes: 1)], "exact bytes")
            _ = try await store.delete(id: "file-3", tenant: "acme", at: Self.now)
            #expect(try await store.storedTotals(tenant: "acme").map(\.purpose) == ["batch", "user_data"], "an emptied purpose is left out")
            #expect(
                try await store.storedTotals().sorted { $0.purpose < $1.purpose } == [
                    StoredTotals(purpose: "batch", files: 1, bytes: 30), StoredTotals(purpose: "user_data", files: 2, bytes: 101),
                ]
            )
            try await store.replaceEverything(
                with: StoreContents(files: [sized("file-9", tenant: "b", bytes: 5), sized("file-8", tenant: "b", bytes: 6)])
            )
            #expect(try await store.storedTotals(tenant: "acme").isEmpty)
            #expect(try await store.storedTotals(tenant: "b") == [StoredTotals(purpose: "user_data", files: 2, bytes: 11)])
            _ = try await store.removeEverything()
            #expect(try await store.storedTotals().isEmpty)
            #expect(try await store.storedTotals(tenant: "b").isEmpty)
        }
    }

    /// The dashboard's filter: a substring of the name, any case of ASCII letters, its `%`, `_`
    /// and `\` taken literally, paged like the unfiltered list.
    @Test(arguments: BackendUnderTest.available)
    func listingFiltersByASubstringOfTheFilename(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let filenames = ["Report_2026.csv", "report-old.csv", "100%.txt", "a\\b.txt", "notes.txt", "REPORTS.md"]
            for (index, name) in filenames.enumerated() {
                var file = Self.file("file-\(index)", createdAt: Self.now + Int64(index))
                file.filename = name
                _ = try await stores.metadata.insert(file)
            }
            func names(containing text: String, limit: Int = 10) async throws -> [String] {
                var query = FileListQuery(tenant: "acme", limit: limit, now: Self.now)
                query.filenameContains = text
                return try await Self.walk(stores.metadata, query).map { id in filenames[Int(id.dropFirst(5))!] }
            }
            #expect(try await names(containing: "report", limit: 2) == ["REPORTS.md", "report-old.csv", "Report_2026.csv"])
            #expect(try await names(containing: "t_") == ["Report_2026.csv"], "_ is not a wildcard")
            #expect(try await names(containing: "%") == ["100%.txt"], "% is not a wildcard")
            #expect(try await names(containing: "\\") == ["a\\b.txt"])
            #expect(try await names(containing: "zzz").isEmpty)
        }
    }

    /// One holder at a time; the holder renews; another takes over only once the lease lapsed.
    @Test(arguments: BackendUnderTest.available)
    func aLeaseHasOneHolderUntilItLapses(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let leases = stores.leases
            #expect(try await leases.acquireLease("sweep", holder: "a", seconds: 1))
            #expect(try await leases.acquireLease("sweep", holder: "a", seconds: 1), "the holder renews")
            guard backend != .embedded, backend != .ephemeral else { return }  // alone, every lease is its own
            #expect(try await !leases.acquireLease("sweep", holder: "b", seconds: 1))
            #expect(try await leases.acquireLease("other-job", holder: "b", seconds: 1), "leases are per name")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await leases.acquireLease("sweep", holder: "b", seconds: 1), "a lapsed lease is free")
            #expect(try await !leases.acquireLease("sweep", holder: "a", seconds: 1))
        }
    }
}
