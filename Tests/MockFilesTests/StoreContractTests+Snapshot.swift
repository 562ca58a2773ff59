import Testing

@testable import MockFiles

/// What a snapshot export reads beyond the API's queries: every tenant's batches, by id, page by
/// page, each row whole.
extension StoreContractTests {
    @Test(arguments: BackendUnderTest.available)
    func everyBatchIsReadByIdAcrossTenants(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            for tenant in ["acme", "other"] { _ = try await store.insert(Self.file("file-in-\(tenant)", tenant: tenant, purpose: "batch")) }
            var written: [StoredBatch] = []
            for (index, tenant) in ["other", "acme", "acme", "other", "acme"].enumerated() {
                var batch = Self.batch("batch_\(5 - index)", tenant: tenant, input: "file-in-\(tenant)", createdAt: Self.batchCreated + Int64(index))
                if index == 1 {
                    batch.rules = #"{"fail_lines":[2]}"#
                    batch.metadata = [MetadataPair(key: "z", value: "1"), MetadataPair(key: "a", value: "")]
                    batch.outputLifetimeSeconds = 3600
                }
                if index == 2 { batch.plan = .fail([BatchLineError(code: "invalid_json_line", message: "x", line: 1)]) }
                #expect(try await store.insertBatch(batch))
                written.append(batch)
            }
            let cancelledAt = Self.batchCreated + 1500
            written[3] = try #require(try await store.recordCancel(id: "batch_2", tenant: "other", Self.cancelled(at: cancelledAt)))
            let made = Self.results(of: written[4], prefix: "r")
            #expect(try await store.insertResults(of: made.batch, files: made.files))
            written[4] = try #require(try await store.batch(id: "batch_1", tenant: "acme"))
            #expect(written[4].resultsMade && written[3].cancelRequestedAtMilliseconds == cancelledAt)

            var seen: [StoredBatch] = []
            var after: String?
            while true {
                let page = try await store.allBatches(after: after, limit: 2)
                seen += page
                guard page.count == 2, let last = page.last else { break }
                after = last.id
            }
            // In the order they were made (not by id), so a restore lists ties as they were.
            #expect(seen.map(\.id) == ["batch_5", "batch_4", "batch_3", "batch_2", "batch_1"])
            #expect(seen == written, "every field as stored")
            #expect(try await store.allBatches(after: "batch_1", limit: 10).isEmpty)
        }
    }
}
