import Foundation
import Testing

@testable import MockFiles

/// The Upload rules every backend keeps atomic: a part lands only in an open upload, completion
/// and cancellation take every part (also one racing them), and expiry frees the parts.
extension StoreContractTests {
    static func upload(_ id: String, tenant: String = "acme", bytes: Int64 = 30, expiresAt: Int64 = now + 3600) -> StoredUpload {
        StoredUpload(
            id: id,
            tenant: tenant,
            filename: "big.jsonl",
            purpose: "batch",
            bytes: bytes,
            mimeType: "application/jsonl",
            createdAt: now,
            expiresAt: expiresAt,
            fileLifetimeSeconds: nil,
            status: .pending
        )
    }

    static func part(_ id: String, of uploadID: String) -> StoredPart {
        StoredPart(id: id, uploadID: uploadID, bytes: 10, createdAt: now)
    }

    @Test(arguments: BackendUnderTest.available)
    func pendingUploadsOfEveryTenantAreListedOldestFirst(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            try await store.insertUpload(Self.upload("upload-a", tenant: "acme"))
            try await store.insertUpload(Self.upload("upload-b", tenant: "other"))
            try await store.insertUpload(Self.upload("upload-c", tenant: "acme"))
            _ = try await store.cancel(uploadID: "upload-c", tenant: "acme", now: Self.now)
            #expect(try await store.pendingUploads().map(\.id) == ["upload-a", "upload-b"])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func completionMakesTheFileAndTakesEveryPartOnce(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            try await store.insertUpload(Self.upload("upload-1"))
            #expect(try await store.upload(id: "upload-1", tenant: "other") == nil)
            for index in 0..<3 { #expect(try await store.insertPart(Self.part("part-\(index)", of: "upload-1"), tenant: "acme", now: Self.now)) }
            #expect(try await !store.insertPart(Self.part("part-x", of: "upload-1"), tenant: "other", now: Self.now), "another tenant's upload")
            let completion = try await store.complete(uploadID: "upload-1", tenant: "acme", file: Self.file("file-joined"), now: Self.now)
            let (file, parts) = try #require(completion)
            #expect(file.id == "file-joined" && Set(parts.map(\.id)) == ["part-0", "part-1", "part-2"])
            #expect(try await store.file(id: "file-joined", tenant: "acme")?.id == "file-joined")
            let upload = try await store.upload(id: "upload-1", tenant: "acme")
            #expect(upload?.status == .completed && upload?.fileID == "file-joined")
            #expect(try await store.parts(ofUpload: "upload-1").isEmpty)
            #expect(try await store.complete(uploadID: "upload-1", tenant: "acme", file: Self.file("file-again"), now: Self.now) == nil)
            #expect(try await store.file(id: "file-again", tenant: "acme") == nil, "a refused completion leaves no file")
            #expect(try await store.cancel(uploadID: "upload-1", tenant: "acme", now: Self.now) == nil)
            #expect(try await !store.insertPart(Self.part("part-late", of: "upload-1"), tenant: "acme", now: Self.now))
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func cancellationAndExpiryCloseTheUpload(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            try await store.insertUpload(Self.upload("upload-c"))
            #expect(try await store.insertPart(Self.part("part-c", of: "upload-c"), tenant: "acme", now: Self.now))
            #expect(try await store.cancel(uploadID: "upload-c", tenant: "acme", now: Self.now)?.map(\.id) == ["part-c"])
            #expect(try await store.upload(id: "upload-c", tenant: "acme")?.status == .cancelled)
            #expect(try await !store.insertPart(Self.part("part-d", of: "upload-c"), tenant: "acme", now: Self.now))

            try await store.insertUpload(Self.upload("upload-e", expiresAt: Self.now + 10))
            #expect(try await store.insertPart(Self.part("part-e", of: "upload-e"), tenant: "acme", now: Self.now))
            #expect(try await !store.insertPart(Self.part("part-f", of: "upload-e"), tenant: "acme", now: Self.now + 10), "expired")
            #expect(try await store.removeExpiredUploadParts(now: Self.now + 9, limit: 10).isEmpty)
            #expect(try await store.removeExpiredUploadParts(now: Self.now + 10, limit: 10).map(\.id) == ["part-e"])
            #expect(try await store.existingPartIDs(among: ["part-e", "part-c"]).isEmpty)
            #expect(try await store.complete(uploadID: "upload-e", tenant: "acme", file: Self.file("file-e"), now: Self.now + 10) == nil)
        }
    }

    /// An Upload never holds more than its `bytes`: a part that would pass them is refused, and
    /// parts arriving together are added up one after another, so exactly as many fit as declared.
    @Test(arguments: BackendUnderTest.available)
    func partsNeverPassTheUploadsBytes(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            try await store.insertUpload(Self.upload("upload-1", bytes: 25))
            func part(_ id: String, bytes: Int64) -> StoredPart { StoredPart(id: id, uploadID: "upload-1", bytes: bytes, createdAt: Self.now) }
            #expect(try await store.insertPart(part("part-a", bytes: 20), tenant: "acme", now: Self.now))
            let refused = await #expect(throws: PartExceedsUpload.self) {
                try await store.insertPart(part("part-b", bytes: 6), tenant: "acme", now: Self.now)
            }
            #expect(refused == PartExceedsUpload(declared: 25, received: 20, partBytes: 6))
            #expect(try await store.insertPart(part("part-c", bytes: 5), tenant: "acme", now: Self.now))
            #expect(try await store.insertPart(part("part-empty", bytes: 0), tenant: "acme", now: Self.now), "an empty part always fits")
            await #expect(throws: PartExceedsUpload.self) { try await store.insertPart(part("part-d", bytes: 1), tenant: "acme", now: Self.now) }
            #expect(try await store.parts(ofUpload: "upload-1").map(\.id) == ["part-a", "part-c", "part-empty"])

            try await store.insertUpload(Self.upload("upload-race", bytes: 7 * 10))
            let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            return try await store.insertPart(Self.part("part-race-\(index)", of: "upload-race"), tenant: "acme", now: Self.now)
                        } catch is PartExceedsUpload {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(accepted == 7)
            #expect(try await store.parts(ofUpload: "upload-race").map(\.bytes).reduce(0, +) == 70)
        }
    }

    /// Parts racing a completion: each one is either taken by the completion or refused, never
    /// left behind as a row of a completed upload.
    @Test(arguments: BackendUnderTest.available)
    func partsRacingACompletionAreTakenOrRefused(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            for round in 0..<5 {
                let uploadID = "upload-r\(round)"
                try await store.insertUpload(Self.upload(uploadID, bytes: 20 * 10))
                let (accepted, taken) = try await withThrowingTaskGroup(of: (String?, [StoredPart]?).self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let part = Self.part("part-r\(round)-\(index)", of: uploadID)
                            return (try await store.insertPart(part, tenant: "acme", now: Self.now) ? part.id : nil, nil)
                        }
                    }
                    group.addTask {
                        let completion = try await store.complete(
                            uploadID: uploadID,
                            tenant: "acme",
                            file: Self.file("file-r\(round)"),
                            now: Self.now
                        )
                        return (nil, try #require(completion).1)
                    }
                    var accepted = Set<String>()
                    var taken: [StoredPart] = []
                    for try await (id, parts) in group {
                        if let id { accepted.insert(id) }
                        if let parts { taken = parts }
                    }
                    return (accepted, taken)
                }
                #expect(Set(taken.map(\.id)) == accepted, "round \(round): accepted parts are exactly those the completion took")
                #expect(try await store.parts(ofUpload: uploadID).isEmpty)
            }
        }
    }

    /// A snapshot restored: every old row (files, tombstones, uploads, parts) goes and the new
    /// ones take their place in one step, in the order given.
    @Test(arguments: BackendUnderTest.available)
    func replacingEverythingLeavesOnlyTheNewRows(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            _ = try await store.insert(Self.file("file-old1"))
            _ = try await store.insert(Self.file("file-old2"))
            _ = try await store.delete(id: "file-old2", tenant: "acme", at: Self.now)
            try await store.insertUpload(Self.upload("upload-old"))
            #expect(try await store.insertPart(Self.part("part-old", of: "upload-old"), tenant: "acme", now: Self.now))
            #expect(try await store.file(id: "file-old1", tenant: "acme") != nil)  // now cached, where a store caches
            let contents = StoreContents(
                files: [Self.file("file-new2", tenant: "other"), Self.file("file-new1")],
                uploads: [Self.upload("upload-new", tenant: "other")],
                parts: [Self.part("part-new", of: "upload-new")]
            )
            try await store.replaceEverything(with: contents)
            #expect(try await store.file(id: "file-old1", tenant: "acme") == nil)
            #expect(try await store.cursor(ofFileID: "file-old2", tenant: "acme") == nil, "tombstones go too")
            #expect(try await store.adminFiles(AdminFileQuery()).map(\.id) == ["file-new2", "file-new1"])
            #expect(try await store.pendingUploads().map(\.id) == ["upload-new"])
            #expect(try await store.parts(ofUpload: "upload-new").map(\.id) == ["part-new"])
            #expect(try await store.existingPartIDs(among: ["part-old", "part-new"]) == ["part-new"])
        }
    }

    /// The dashboard's tenant picker: every tenant with files, in byte order, found without a scan.
    @Test(arguments: BackendUnderTest.available)
    func tenantsAreListedOnceEachInByteOrder(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            #expect(try await store.tenants(limit: 10).isEmpty)
            for (index, tenant) in ["b", "a", "a", "c", "B"].enumerated() { _ = try await store.insert(Self.file("file-t\(index)", tenant: tenant)) }
            #expect(try await store.tenants(limit: 10) == ["B", "a", "b", "c"])
            #expect(try await store.tenants(limit: 2) == ["B", "a"])
            _ = try await store.delete(id: "file-t0", tenant: "b", at: Self.now)
            #expect(try await store.tenants(limit: 10) == ["B", "a", "c"])
        }
    }

    /// The dashboard's Uploads page: a tenant's Uploads of every status, newest first, paged.
    @Test(arguments: BackendUnderTest.available)
    func aTenantsUploadsAreListedNewestFirstWhateverTheirStatus(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            for (index, id) in ["upload-b", "upload-a", "upload-c"].enumerated() {
                var upload = Self.upload(id)
                upload.createdAt = Self.now + Int64(index == 2 ? 1 : 0)
                try await store.insertUpload(upload)
            }
            try await store.insertUpload(Self.upload("upload-other", tenant: "other"))
            #expect(try await store.cancel(uploadID: "upload-a", tenant: "acme", now: Self.now) != nil)
            let all = try await store.uploads(tenant: "acme", limit: 10, before: nil)
            #expect(all.map(\.id) == ["upload-c", "upload-b", "upload-a"] && all.last?.status == .cancelled)
            let page = try await store.uploads(tenant: "acme", limit: 1, before: (Self.now, "upload-b"))
            #expect(page.map(\.id) == ["upload-a"])
        }
    }
}
