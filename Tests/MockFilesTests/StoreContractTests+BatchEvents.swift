import Testing

@testable import MockFiles

/// The end events still to send (`BatchEventStore`), on every backend: recorded with the batch
/// only when asked, due at the moment it ends, moved by a cancel, gone once removed or reset.
extension StoreContractTests {
    @Test(arguments: BackendUnderTest.available)
    func anEndEventIsDueWhenItsBatchEndsAndMovesWithACancel(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            let store = stores.metadata
            let created = Self.batchCreated
            _ = try await store.insert(Self.file("file-input", purpose: "batch"))
            // 10 lines: validated at +1 s, completed at +3 s; a failing batch ends when validated.
            #expect(try await store.insertBatch(Self.batch("batch_runs"), announcingEnd: true))
            #expect(try await store.insertBatch(Self.batch("batch_fails", plan: .fail([])), announcingEnd: true))
            #expect(try await store.insertBatch(Self.batch("batch_quiet")), "no event asked for")
            #expect(try await store.batchesToAnnounce(dueBy: created + 999, limit: 10).isEmpty)
            #expect(try await store.batchesToAnnounce(dueBy: created + 1000, limit: 10).map(\.id) == ["batch_fails"])
            #expect(try await store.batchesToAnnounce(dueBy: created + 3000, limit: 10).map(\.id) == ["batch_fails", "batch_runs"])
            #expect(try await store.batchesToAnnounce(dueBy: created + 3000, limit: 1).map(\.id) == ["batch_fails"], "soonest first")
            let announced = try await store.batchesToAnnounce(dueBy: .max, limit: 10)
            #expect(announced.last == (try await store.batch(id: "batch_runs", tenant: "acme")), "the whole row")

            // Cancelled at +1.5 s: it ends when the cancel does, 2 s later.
            _ = try await store.recordCancel(id: "batch_runs", tenant: "acme", Self.cancelled(at: created + 1500))
            #expect(try await store.batchesToAnnounce(dueBy: created + 3499, limit: 10).map(\.id) == ["batch_fails"])
            #expect(try await store.batchesToAnnounce(dueBy: created + 3500, limit: 10).map(\.id) == ["batch_fails", "batch_runs"])
            _ = try await store.recordCancel(id: "batch_quiet", tenant: "acme", Self.cancelled(at: created + 1500))
            #expect(try await store.batchesToAnnounce(dueBy: .max, limit: 10).count == 2, "a cancel adds no event")

            try await store.removeAnnouncement(batchID: "batch_fails")
            try await store.removeAnnouncement(batchID: "batch_fails")
            #expect(try await store.batchesToAnnounce(dueBy: .max, limit: 10).map(\.id) == ["batch_runs"])
            _ = try await store.removeEverything()
            #expect(try await store.batchesToAnnounce(dueBy: .max, limit: 10).isEmpty, "a reset takes the events too")
        }
    }
}
