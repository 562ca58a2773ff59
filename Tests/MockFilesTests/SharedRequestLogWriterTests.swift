import NIOConcurrencyHelpers
import Testing

@testable import MockFiles

/// The shared request log's group commit: each entry written once, in its statement's order;
/// entries that come while a write is under way go together in the next; an answer waits for
/// its entry's write, and learns when it failed.
@Suite("Shared request log writer")
struct SharedRequestLogWriterTests {
    static func entry(_ path: String) -> RequestLogEntry {
        RequestLogEntry(
            requestID: "req_\(path)",
            instance: "test",
            method: "GET",
            path: path,
            status: 200,
            tenant: nil,
            apiKeyHint: nil,
            objectID: nil,
            contentType: nil,
            multipartFields: nil,
            error: nil,
            bytesIn: nil,
            bytesOut: nil,
            durationMilliseconds: 1,
            timestamp: 0
        )
    }

    @Test func anEntryAloneIsWrittenAtOnceAndAloneBeforeAppendReturns() async throws {
        let store = ClockOnlyControlStore()
        let writer = SharedRequestLogWriter(store: store, capacity: 100)
        try await writer.append(Self.entry("/v1/one"))
        #expect(store.appendedBatches.withLockedValue { $0 } == [["/v1/one"]])
        try await writer.append(Self.entry("/v1/two"))
        #expect(store.appendedBatches.withLockedValue { $0 } == [["/v1/one"], ["/v1/two"]])
    }

    @Test func entriesThatComeDuringAWriteGoTogetherInTheNext() async throws {
        let store = ClockOnlyControlStore()
        store.appendTakes.withLockedValue { $0 = .milliseconds(50) }
        let writer = SharedRequestLogWriter(store: store, capacity: 100)
        let paths = (0..<40).map { "/v1/files/file-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for path in paths { group.addTask { try await writer.append(Self.entry(path)) } }
            try await group.waitForAll()
        }
        let batches = store.appendedBatches.withLockedValue { $0 }
        #expect(batches.flatMap { $0 }.sorted() == paths.sorted(), "each entry once")
        #expect(batches.count < paths.count / 4, "\(batches.count) statements for \(paths.count) entries")
    }

    @Test func aFailedWriteFailsEveryAnswerOfItsBatchAndTheNextWriteStartsAfresh() async throws {
        let store = ClockOnlyControlStore()
        store.nextAppendFails.withLockedValue { $0 = true }
        let writer = SharedRequestLogWriter(store: store, capacity: 100)
        await #expect(throws: ClockOnlyControlStore.Unused.self) { try await writer.append(Self.entry("/v1/lost")) }
        try await writer.append(Self.entry("/v1/kept"))
        #expect(store.appendedBatches.withLockedValue { $0 } == [["/v1/kept"]])
    }
}

/// What a request's reads saw of the controls' generation decides whether its answer stands.
@Suite("Controls generation probe")
struct ControlsGenerationProbeTests {
    @Test func anAnswerStandsOnlyWhenEveryReadSawTheSameGeneration() {
        let none = ControlsGenerationProbe()
        #expect(!none.saw(only: 0), "no read: nothing to stand on")
        let agreeing = ControlsGenerationProbe()
        agreeing.record(7)
        agreeing.record(7)
        #expect(agreeing.saw(only: 7) && !agreeing.saw(only: 6))
        let changed = ControlsGenerationProbe()
        changed.record(7)
        changed.record(8)
        #expect(!changed.saw(only: 7) && !changed.saw(only: 8))
    }
}
