import Foundation
import Testing

@testable import MockFiles

/// The batch rows every backend keeps (`BatchStore`): a batch only over a file of its tenant,
/// every field read back as written, a total order for paging, due results found by the moment
/// they settle, a cancel written under the row's lock, result files made exactly once.
extension StoreContractTests {
    /// A clock reading in the middle of a second, so that two batches can share a second and
    /// still differ in milliseconds.
    static let batchCreated: Int64 = now * 1000 + 500
    /// 1 s validating, 100 ms a line, 1 s finalizing, 2 s cancelling: 10 lines settle 3 s after creation.
    static let batchSchedule = BatchSchedule(
        validatingMilliseconds: 1000,
        millisecondsPerLine: 100,
        finalizingMilliseconds: 1000,
        cancellingMilliseconds: 2000
    )

    static func batch(
        _ id: String,
        tenant: String = "acme",
        input: String = "file-input",
        createdAt: Int64 = batchCreated,
        plan: BatchPlan = .run(lines: 10, model: "gpt-4o-mini-2024-07-18", failingLines: [])
    ) -> StoredBatch {
        StoredBatch(
            id: id,
            tenant: tenant,
            endpoint: "/v1/chat/completions",
            inputFileID: input,
            completionWindow: "24h",
            createdAtMilliseconds: createdAt,
            schedule: batchSchedule,
            plan: plan
        )
    }

    /// The batch with its cancel recorded at `moment`, as the cancel endpoint's closure makes it.
    static func cancelled(at moment: Int64) -> @Sendable (StoredBatch) -> Int64? {
        { _ in moment }
    }

    /// The result files of `batch` and the batch naming them, as the sweeper makes them.
    static func results(of batch: StoredBatch, prefix: String) -> (batch: StoredBatch, files: [StoredFile]) {
        var made = batch
        made.outputFileID = "file-\(prefix)-output"
        made.errorFileID = "file-\(prefix)-errors"
        made.usage = BatchUsage(inputTokens: 120, outputTokens: 45, cachedTokens: 7, reasoningTokens: 3)
        let files = [made.outputFileID, made.errorFileID].compactMap { $0 }.map { id in
            Self.file(id, tenant: batch.tenant, purpose: "batch_output")
        }
        return (made, files)
    }

    /// Walks every page of a tenant's batches and returns the ids in the order seen.
    static func walkBatches(_ store: any BatchReads, tenant: String, limit: Int) async throws -> [String] {
        var after: String?
        var seen: [String] = []
        while true {
            let page = try #require(try await store.batches(tenant: tenant, after: after, limit: limit))
            seen += page.map(\.id)
            guard page.count == limit, let last = page.last else { return seen }
            after = last.id
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func aBatchIsInsertedOnlyWhileItsInputIsAFileOfItsTenant(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            // "K" and the Kelvin sign are canonically equivalent: Swift's `==` takes them as one.
            let kelvin = "\u{212A}"
            _ = try await store.insert(Self.file("file-input", tenant: "K", purpose: "batch"))
            _ = try await store.insert(Self.file("file-gone", tenant: "K", purpose: "batch"))
            _ = try await store.delete(id: "file-gone", tenant: "K", at: Self.now)
            #expect(try await !store.insertBatch(Self.batch("batch_missing", tenant: "K", input: "file-none")), "no such file")
            #expect(try await !store.insertBatch(Self.batch("batch_deleted", tenant: "K", input: "file-gone")), "a deleted file")
            #expect(try await !store.insertBatch(Self.batch("batch_other", tenant: "other")), "another tenant's file")
            #expect(try await !store.insertBatch(Self.batch("batch_kelvin", tenant: kelvin)), "the Kelvin sign is not K")
            #expect(try await !store.insertBatch(Self.batch("batch_spaced", tenant: "K ")))
            for (id, tenant) in [("batch_missing", "K"), ("batch_deleted", "K"), ("batch_other", "other"), ("batch_kelvin", kelvin)] {
                #expect(try await store.batch(id: id, tenant: tenant) == nil, "\(id): a refused insert leaves no row")
            }

            _ = try await store.insert(Self.file("file-kelvin", tenant: kelvin, purpose: "batch"))
            #expect(try await !store.insertBatch(Self.batch("batch_k_kelvin", tenant: "K", input: "file-kelvin")), "K is not the Kelvin sign")

            #expect(try await store.insertBatch(Self.batch("batch_k", tenant: "K")))
            #expect(try await store.insertBatch(Self.batch("batch_kelvin_own", tenant: kelvin, input: "file-kelvin")))
            #expect(try await store.batch(id: "batch_k", tenant: "K").map { Array($0.tenant.utf8) } == Array("K".utf8))
            #expect(try await store.batch(id: "batch_kelvin_own", tenant: kelvin).map { Array($0.tenant.utf8) } == Array(kelvin.utf8))
            #expect(try await store.batch(id: "batch_k", tenant: kelvin) == nil)
            #expect(try await store.batch(id: "batch_kelvin_own", tenant: "K") == nil)
            #expect(try await store.batches(tenant: "K", after: nil, limit: 10)?.map(\.id) == ["batch_k"])
            #expect(try await store.batches(tenant: kelvin, after: nil, limit: 10)?.map(\.id) == ["batch_kelvin_own"])
            #expect(try await store.batches(tenant: kelvin, after: "batch_k", limit: 10) == nil)
            #expect(try await store.recordCancel(id: "batch_k", tenant: kelvin, Self.cancelled(at: Self.batchCreated)) == nil)
            #expect(try await store.batch(id: "batch_k", tenant: "K")?.cancelRequestedAtMilliseconds == nil)
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func everyFieldOfABatchReadsBackAsWritten(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            var running = Self.batch("batch_running", plan: .run(lines: 12, model: "gpt-4.1-nano", failingLines: [0, 3, 11]))
            running.endpoint = "/v1/responses"
            // Not in key order, and not ASCII: the service echoes the pairs as they were sent.
            running.metadata = [
                MetadataPair(key: "zeta", value: "last \"quoted\""), MetadataPair(key: "alpha", value: "ünïcödé ✓"),
                MetadataPair(key: "mid", value: ""),
            ]
            running.outputLifetimeSeconds = 7200
            running.schedule = BatchSchedule(validatingMilliseconds: 3, millisecondsPerLine: 5, finalizingMilliseconds: 7, cancellingMilliseconds: 11)
            running.rules = #"[{"match":{"custom_id":"req-*"},"answer":{"status":429}}]"#
            var failing = Self.batch(
                "batch_failing",
                createdAt: Self.batchCreated - 1,
                plan: .fail([
                    BatchLineError(code: "invalid_request", message: "Cannot find file file-x.", param: "file_id"),
                    BatchLineError(code: "duplicate_custom_id", message: "The custom_id for this request is a duplicate.", line: 3),
                ])
            )
            failing.metadata = nil
            var modelless = Self.batch("batch_modelless", createdAt: Self.batchCreated - 2, plan: .run(lines: 1, model: nil, failingLines: []))
            modelless.metadata = []
            for batch in [running, failing, modelless] { #expect(try await store.insertBatch(batch)) }

            #expect(try await store.batch(id: "batch_running", tenant: "acme") == running)
            #expect(try await store.batch(id: "batch_running", tenant: "acme")?.metadata?.map(\.key) == ["zeta", "alpha", "mid"])
            #expect(try await store.batch(id: "batch_failing", tenant: "acme") == failing)
            #expect(try await store.batch(id: "batch_failing", tenant: "acme")?.metadata == nil, "nil metadata stays nil")
            #expect(try await store.batch(id: "batch_modelless", tenant: "acme") == modelless)
            #expect(try await store.batches(tenant: "acme", after: nil, limit: 10) == [running, failing, modelless], "the list reads the same")
            let fresh = try #require(try await store.batch(id: "batch_running", tenant: "acme"))
            #expect(!fresh.resultsMade && fresh.outputFileID == nil && fresh.errorFileID == nil && fresh.usage == BatchUsage())
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func batchesAreListedNewestFirstWithTiesInTheOrderTheyWereMade(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            _ = try await store.insert(Self.file("file-input-other", tenant: "other", purpose: "batch"))
            let created = Self.batchCreated
            // Inserted out of order; ties in the millisecond (a frozen clock) list the one made last
            // first, whatever their ids; two in one second apart by milliseconds.
            let rows: [(String, Int64)] = [
                ("batch_b", created), ("batch_d", created), ("batch_0", created + 1), ("batch_a", created),
                ("batch_z", created - 500), ("batch_y", created - 1), ("batch_c", created),
            ]
            for (id, createdAt) in rows { #expect(try await store.insertBatch(Self.batch(id, createdAt: createdAt))) }
            #expect(try await store.insertBatch(Self.batch("batch_cc", tenant: "other", input: "file-input-other", createdAt: created)))
            let newestFirst = ["batch_0", "batch_c", "batch_a", "batch_d", "batch_b", "batch_y", "batch_z"]
            #expect(try await store.batches(tenant: "acme", after: nil, limit: 100)?.map(\.id) == newestFirst)
            for limit in [1, 2, 3, 7] {
                #expect(try await Self.walkBatches(store, tenant: "acme", limit: limit) == newestFirst, "pages of \(limit)")
            }
            #expect(try await store.batches(tenant: "acme", after: "batch_c", limit: 2)?.map(\.id) == ["batch_a", "batch_d"], "strictly after")
            #expect(try await store.batches(tenant: "acme", after: "batch_z", limit: 2)?.isEmpty == true)
            #expect(try await store.batches(tenant: "acme", after: "batch_nope", limit: 2) == nil, "an unknown cursor")
            #expect(try await store.batches(tenant: "acme", after: "batch_cc", limit: 2) == nil, "another tenant's batch")
            #expect(try await store.batches(tenant: "other", after: nil, limit: 10)?.map(\.id) == ["batch_cc"])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func batchesAwaitingResultsAreTheUnsettledOnesDueSoonestFirst(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            let created = Self.batchCreated
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            _ = try await store.insert(Self.file("file-input-other", tenant: "other", purpose: "batch"))
            // Due at creation + 1 s validating + lines × 100 ms + 1 s finalizing.
            let late = Self.batch("batch_late", plan: .run(lines: 20, model: "m", failingLines: [1]))
            let soon = Self.batch("batch_soon", createdAt: created + 500)
            let soonest = Self.batch("batch_soonest", tenant: "other", input: "file-input-other")
            let failed = Self.batch("batch_failed", createdAt: created - 10_000, plan: .fail([BatchLineError(code: "c", message: "m")]))
            #expect([late, soon, soonest].map(\.resultsDueAtMilliseconds) == [created + 4000, created + 3500, created + 3000])
            for batch in [late, soon, soonest, failed] { #expect(try await store.insertBatch(batch)) }
            func due(by moment: Int64, limit: Int = 10) async throws -> [String] {
                try await store.batchesAwaitingResults(dueBy: moment, limit: limit).map(\.id)
            }
            #expect(try await due(by: created + 2999).isEmpty)
            #expect(try await due(by: created + 3000) == ["batch_soonest"], "due at the moment itself, of any tenant")
            #expect(try await due(by: .max) == ["batch_soonest", "batch_soon", "batch_late"], "a failed batch makes no results")
            #expect(try await due(by: .max, limit: 2) == ["batch_soonest", "batch_soon"])
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10).first == soonest, "the whole row")

            // A cancel 200 ms into the lines: cancelled 2 s later, before batch_soon is due.
            let cancelledLate = try #require(try await store.recordCancel(id: "batch_late", tenant: "acme", Self.cancelled(at: created + 1200)))
            #expect(cancelledLate.cancelRequestedAtMilliseconds == created + 1200 && cancelledLate.resultsDueAtMilliseconds == created + 3200)
            #expect(try await due(by: created + 3200) == ["batch_soonest", "batch_late"])
            #expect(try await due(by: .max) == ["batch_soonest", "batch_late", "batch_soon"])
            // A cancel while validating runs no line: no result files, nothing awaited.
            _ = try await store.recordCancel(id: "batch_soon", tenant: "acme", Self.cancelled(at: created + 600))
            #expect(try await due(by: .max) == ["batch_soonest", "batch_late"])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func recordCancelWritesTheMomentDecidedAndNothingWhenItThrows(_ backend: BackendUnderTest) async throws {
        struct Refused: Error {}
        try await backend.withStores { stores in
            let store = stores.metadata
            let created = Self.batchCreated
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            let batch = Self.batch("batch_1")
            #expect(try await store.insertBatch(batch))
            #expect(try await store.recordCancel(id: "batch_none", tenant: "acme", Self.cancelled(at: created)) == nil, "no such batch")
            #expect(try await store.recordCancel(id: "batch_1", tenant: "other", Self.cancelled(at: created)) == nil, "another tenant's")
            #expect(try await store.recordCancel(id: "batch_1", tenant: "acme") { _ in nil } == batch, "left as it was")
            await #expect(throws: Refused.self) {
                try await store.recordCancel(id: "batch_1", tenant: "acme") { _ in throw Refused() }
            }
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == batch)
            #expect(try await store.batchesAwaitingResults(dueBy: created + 3000, limit: 10).map(\.id) == ["batch_1"], "due as before")

            // Only the cancel (and the due time that follows from it) is written: the rest stays.
            let updated = try await store.recordCancel(id: "batch_1", tenant: "acme") { _ in created + 1500 }
            var expected = batch
            expected.cancelRequestedAtMilliseconds = created + 1500
            #expect(updated == expected)
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == expected)
            #expect(try await store.batchesAwaitingResults(dueBy: created + 3499, limit: 10).isEmpty)
            #expect(try await store.batchesAwaitingResults(dueBy: created + 3500, limit: 10) == [expected])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func resultsAreMadeOnceAndReleaseTheBatchsInput(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            let created = Self.batchCreated
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            let batch = Self.batch("batch_1")
            #expect(try await store.insertBatch(batch))
            #expect(try await store.inputFilesInUse(among: ["file-input", "file-none"]) == ["file-input"])

            // One transaction: a result file that cannot be inserted (its id is taken) leaves no trace.
            let (clashing, clashingFiles) = Self.results(of: batch, prefix: "clash")
            _ = try await store.insert(Self.file("file-clash-errors"))
            await #expect(throws: (any Error).self) { try await store.insertResults(of: clashing, files: clashingFiles) }
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == batch)
            #expect(try await store.existingFileIDs(among: ["file-clash-output"]).isEmpty)
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10) == [batch])

            let (made, files) = Self.results(of: batch, prefix: "first")
            #expect(try await store.insertResults(of: made, files: files))
            var expected = made
            expected.resultsMade = true
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == expected)
            for file in files {
                let stored = try #require(try await store.file(id: file.id, tenant: "acme"))
                #expect(stored.purpose == "batch_output" && stored.bytes == file.bytes)
            }
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10).isEmpty)
            #expect(try await store.inputFilesInUse(among: ["file-input"]).isEmpty)

            let (again, otherFiles) = Self.results(of: batch, prefix: "second")
            #expect(try await !store.insertResults(of: again, files: otherFiles), "made already")
            for file in otherFiles { #expect(try await store.file(id: file.id, tenant: "acme") == nil, "a refused call inserts no file") }
            #expect(try await store.batch(id: "batch_1", tenant: "acme") == expected)
            #expect(try await store.existingFileIDs(among: otherFiles.map(\.id)).isEmpty)

            // A cancel recorded afterwards moves nothing back into the sweeper's list.
            let cancelled = try await store.recordCancel(id: "batch_1", tenant: "acme", Self.cancelled(at: created + 1500))
            #expect(cancelled?.resultsMade == true && cancelled?.outputFileID == "file-first-output" && cancelled?.usage == made.usage)
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10).isEmpty)
            #expect(try await store.inputFilesInUse(among: ["file-input"]).isEmpty)

            // No batch, or another tenant's: nothing made.
            var stranger = Self.results(of: Self.batch("batch_none"), prefix: "none")
            #expect(try await !store.insertResults(of: stranger.batch, files: stranger.files))
            stranger = Self.results(of: Self.batch("batch_1", tenant: "other"), prefix: "other")
            #expect(try await !store.insertResults(of: stranger.batch, files: stranger.files))
            #expect(try await store.existingFileIDs(among: ["file-none-output", "file-other-output"]).isEmpty)
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func ofTwoConcurrentResultMakersExactlyOneWins(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            let ids = (0..<8).map { "batch_\($0)" }
            for id in ids { #expect(try await store.insertBatch(Self.batch(id))) }
            let outcomes = try await withThrowingTaskGroup(of: (String, String, Bool).self) { group in
                for id in ids {
                    for maker in ["a", "b"] {
                        group.addTask {
                            let (made, files) = Self.results(of: Self.batch(id), prefix: "\(id)-\(maker)")
                            return (id, maker, try await store.insertResults(of: made, files: files))
                        }
                    }
                }
                return try await group.reduce(into: [(String, String, Bool)]()) { $0.append($1) }
            }
            for id in ids {
                let winners = outcomes.filter { $0.0 == id && $0.2 }.map { $0.1 }
                #expect(winners.count == 1, "\(id): \(winners)")
                guard let winner = winners.first, let loser = ["a", "b"].first(where: { $0 != winner }) else { continue }
                let stored = try await store.batch(id: id, tenant: "acme")
                #expect(stored?.outputFileID == "file-\(id)-\(winner)-output")
                let written = try await store.existingFileIDs(among: ["file-\(id)-\(winner)-output", "file-\(id)-\(loser)-output"])
                #expect(written == ["file-\(id)-\(winner)-output"])
            }
            #expect(try await store.storedTotals(tenant: "acme").first { $0.purpose == "batch_output" }?.files == Int64(ids.count * 2))
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func inputFilesInUseAreThoseOfBatchesStillToMakeResults(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            let created = Self.batchCreated
            for id in ["file-running", "file-made", "file-failed", "file-cancelled", "file-idle"] {
                _ = try await store.insert(Self.file(id, purpose: "batch"))
            }
            #expect(try await store.insertBatch(Self.batch("batch_running", input: "file-running")))
            #expect(try await store.insertBatch(Self.batch("batch_running_2", input: "file-running")))
            let made = Self.batch("batch_made", input: "file-made")
            #expect(try await store.insertBatch(made))
            let results = Self.results(of: made, prefix: "made")
            #expect(try await store.insertResults(of: results.batch, files: results.files))
            let failure = BatchPlan.fail([BatchLineError(code: "invalid_json_line", message: "m", line: 1)])
            #expect(try await store.insertBatch(Self.batch("batch_failed", input: "file-failed", plan: failure)))
            #expect(try await store.insertBatch(Self.batch("batch_cancelled", input: "file-cancelled")))
            _ = try await store.recordCancel(id: "batch_cancelled", tenant: "acme", Self.cancelled(at: created + 10))

            let all = ["file-running", "file-made", "file-failed", "file-cancelled", "file-idle", "file-none"]
            // A failed batch, or one cancelled before a line ran, makes no results: it reads its input never again.
            #expect(try await store.inputFilesInUse(among: all) == ["file-running"])
            #expect(try await store.inputFilesInUse(among: []).isEmpty)
            // The file row may go; the batch still reads the input (the blob is what stays).
            _ = try await store.delete(id: "file-running", tenant: "acme", at: Self.now)
            #expect(try await store.inputFilesInUse(among: ["file-running"]) == ["file-running"])
            // More ids than SQLite binds in one statement.
            let many = (0..<1200).map { "file-filler-\($0)" } + ["file-running"]
            #expect(try await store.inputFilesInUse(among: many) == ["file-running"])
        }
    }

    @Test(arguments: BackendUnderTest.available)
    func removeEverythingAndRestoreReplaceTheBatches(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            #expect(try await store.insertBatch(Self.batch("batch_old")))
            _ = try await store.removeEverything()
            #expect(try await store.batch(id: "batch_old", tenant: "acme") == nil)
            #expect(try await store.batches(tenant: "acme", after: nil, limit: 10)?.isEmpty == true)
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10).isEmpty)
            #expect(try await store.inputFilesInUse(among: ["file-input"]).isEmpty)

            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            #expect(try await store.insertBatch(Self.batch("batch_old")))
            var settled = Self.results(of: Self.batch("batch_settled", input: "file-a", createdAt: Self.batchCreated - 1), prefix: "s").batch
            settled.resultsMade = true
            settled.metadata = [MetadataPair(key: "b", value: "1"), MetadataPair(key: "a", value: "2")]
            let running = Self.batch("batch_running", input: "file-b")
            try await store.replaceEverything(
                with: StoreContents(
                    files: [Self.file("file-a", purpose: "batch"), Self.file("file-b", purpose: "batch")],
                    batches: [settled, running]
                )
            )
            #expect(try await store.batch(id: "batch_old", tenant: "acme") == nil)
            #expect(try await store.batches(tenant: "acme", after: nil, limit: 10) == [running, settled])
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10) == [running], "restored rows are due by their schedule")
            #expect(try await store.inputFilesInUse(among: ["file-a", "file-b", "file-input"]) == ["file-b"])
            #expect(try await !store.insertResults(of: settled, files: []), "a restored batch's results stay made")

            try await store.replaceEverything(with: StoreContents(files: [Self.file("file-a")]))
            #expect(try await store.batches(tenant: "acme", after: nil, limit: 10)?.isEmpty == true)
            #expect(try await store.batchesAwaitingResults(dueBy: .max, limit: 10).isEmpty)
        }
    }
}
