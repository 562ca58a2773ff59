import Foundation
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

/// The shared log stores each entry as text written by hand; it must read back as the entry.
@Suite("Stored request-log entries")
struct StoredRequestLogEntryTests {
    @Test func theStoredTextReadsBackAsTheEntry() throws {
        var plain = SharedRequestLogWriterTests.entry("/v1/files")
        plain.sequence = 42
        var full = SharedRequestLogWriterTests.entry("/v1/files/file-\u{1F600}\"quoted\"\\slash\n\u{01}tab\t")
        full.tenant = "key:sk-ü"
        full.apiKeyHint = "wxyz"
        full.objectID = "file-abc"
        full.contentType = "multipart/form-data; boundary=x"
        full.multipartFields = ["purpose", "file", ""]
        full.error = .init(type: "invalid_request_error", code: nil, param: "purpose")
        full.bytesIn = 1 << 40
        full.bytesOut = 0
        full.durationMilliseconds = 0.000_123_456_789
        full.timestamp = 1_796_510_438.685_034_9
        full.direction = .outgoing
        var tiny = SharedRequestLogWriterTests.entry("/v1")
        tiny.durationMilliseconds = 1e-9
        tiny.timestamp = 0
        tiny.error = .init(type: "fault", code: "c", param: nil)
        tiny.multipartFields = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for entry in [plain, full, tiny] {
            let read = try JSONDecoder().decode(RequestLogEntry.self, from: Data(entry.storedText.utf8))
            #expect(try encoder.encode(read) == encoder.encode(entry), "\(entry.storedText)")
            #expect(read.sequence == entry.sequence && read.durationMilliseconds == entry.durationMilliseconds)
        }
    }
}
