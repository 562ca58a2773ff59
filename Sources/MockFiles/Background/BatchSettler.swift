import Logging
import ServiceLifecycle

/// Makes the result files of batches whose moment has come, so they appear in `GET /v1/files`
/// without anyone asking for the batch. A read of the batch makes them too (`BatchService`
/// settles before it answers), and the store lets only one maker's files in, so this loop only
/// decides how soon; with several instances it runs where its lease is held.
public struct BatchSettler: Service {
    let batches: BatchService
    let interval: Duration
    let lease: ExpirySweeper.SweepLease
    /// Takes over a clock another instance moved (shared controls).
    let synchronizeClock: @Sendable () async throws -> Void
    let logger: Logger

    public init(
        batches: BatchService,
        interval: Duration = .milliseconds(250),
        lease: ExpirySweeper.SweepLease = ExpirySweeper.SweepLease(holder: "local"),
        synchronizeClock: @escaping @Sendable () async throws -> Void = {},
        logger: Logger
    ) {
        self.batches = batches
        self.interval = interval
        self.lease = lease
        self.synchronizeClock = synchronizeClock
        self.logger = logger
    }

    public func run() async throws {
        await repeatEvery(interval, logger: logger, failure: "making batch result files failed") {
            // Two seconds: another instance takes over soon after this one stops.
            guard try await lease.store.acquireLease("batch-settler", holder: lease.holder, seconds: 2) else { return }
            try await synchronizeClock()
            let settled = try await holdingLease { try await batches.settleDueBatches() }
            if settled > 0 { logger.info("made batch result files", metadata: ["batches": "\(settled)"]) }
        }
    }

    /// Runs `pass` while renewing the lease: with an upstream a pass may take minutes, and
    /// another instance taking the lease meanwhile would send the same lines again.
    private func holdingLease(_ pass: @escaping @Sendable () async throws -> Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask { try await pass() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(500))
                    _ = try? await lease.store.acquireLease("batch-settler", holder: lease.holder, seconds: 2)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let settled = result { return settled }
            }
            return 0
        }
    }
}
