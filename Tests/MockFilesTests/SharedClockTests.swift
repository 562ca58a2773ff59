import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import MockFiles

/// The clock shared by instances on one database: a change is stored as made, even when another
/// request takes over the stored clock while it is being made.
@Suite("Shared clock")
struct SharedClockTests {
    @Test func aChangeIsStoredAsMadeWhileAnotherRequestSynchronizes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-clock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FileStore(
            StorageBackends(metadata: try SQLiteMetadataStore(dataDirectory: directory), blobs: try DiskBlobStore(dataDirectory: directory)),
            ids: IDGenerator(seed: 7),
            logger: Logger(label: "test")
        )
        let files = FileService(store: store, clock: ServiceClock(), settings: .init())
        let shared = ClockOnlyControlStore()
        let controls = TestControls(
            files: files,
            uploads: UploadService(files: files, settings: .init()),
            resolver: TenantResolver(mode: .shared, keys: [], rejectUnknownKeys: false, defaultOrganization: "org"),
            fixtures: nil,
            requestLogCapacity: 10,
            shared: shared
        )
        try await controls.changeClock { clock in
            clock.freeze()
            clock.set(to: 2_000_000_000)
            // What a `synchronize` of a concurrent request does at this moment: it applies the
            // stored clock (the system time, unfrozen) to this instance's.
            files.clock.apply(offset: 0, frozenAt: nil)
        }
        #expect(shared.clock.withLockedValue { $0.frozenAt } == 2_000_000_000)
        #expect(files.clock.now == 2_000_000_000)
    }
}

/// A shared store that keeps only the clock and the request log's writes (each call's entries,
/// `SharedRequestLogWriterTests`); the tests touch nothing else.
final class ClockOnlyControlStore: SharedControlStore {
    let clock = NIOLockedValueBox((offset: 0.0, frozenAt: Double?.none, generation: Int64(0)))
    /// The paths of each `appendRequests` call's entries, in call order.
    let appendedBatches = NIOLockedValueBox<[[String]]>([])
    /// How long each `appendRequests` takes, and whether the next one fails.
    let appendTakes = NIOLockedValueBox(Duration.zero)
    let nextAppendFails = NIOLockedValueBox(false)

    func controlGeneration() async throws -> Int64 { clock.withLockedValue { $0.generation } }

    func loadControls() async throws -> SharedControls {
        clock.withLockedValue { SharedControls(generation: $0.generation, clockOffset: $0.offset, clockFrozenAt: $0.frozenAt, faultRules: []) }
    }

    func saveClock(offset: Double, frozenAt: Double?) async throws {
        clock.withLockedValue { $0 = (offset, frozenAt, $0.generation + 1) }
    }

    func insertFaultRule(_ rule: FaultRule) async throws -> FaultRule { throw Unused() }
    func deleteFaultRule(id: String) async throws -> Bool { throw Unused() }
    func deleteAllFaultRules() async throws -> Int { throw Unused() }
    func replaceFaultRules(with rules: [FaultRule]) async throws { throw Unused() }
    func recordFiring(ofRule id: String) async throws -> FaultRule? { throw Unused() }
    func insertBatchRule(_ rule: BatchRule) async throws -> BatchRule { throw Unused() }
    func deleteBatchRule(id: String) async throws -> Bool { throw Unused() }
    func deleteAllBatchRules() async throws -> Int { throw Unused() }
    func replaceBatchRules(with rules: [BatchRule]) async throws { throw Unused() }
    func appendRequests(_ entries: [RequestLogEntry], capacity: Int) async throws {
        try await Task.sleep(for: appendTakes.withLockedValue { $0 })
        if nextAppendFails.withLockedValue({ fails in
            defer { fails = false }
            return fails
        }) {
            throw Unused()
        }
        appendedBatches.withLockedValue { $0.append(entries.map(\.path)) }
    }
    func requestJournal(capacity: Int) async throws -> RequestJournal { throw Unused() }
    func clearRequests() async throws -> Int { throw Unused() }

    struct Unused: Error {}
}
