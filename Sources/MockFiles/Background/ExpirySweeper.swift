import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Deletes expired files (rows first, then blobs), the parts of expired uploads and old
/// tombstones at an interval. Expired things are already invisible on read; the sweeper
/// reclaims their space. With a shared store it also removes orphans now and then (`FileStore.removeOrphans`).
public struct ExpirySweeper: Service {
    let service: FileService
    let interval: Duration
    let metrics: ServerMetrics
    /// With several instances on one store, the sweep runs where this lease is held.
    let lease: SweepLease
    /// Takes over a clock another instance moved before each sweep (shared controls).
    let synchronizeClock: @Sendable () async throws -> Void
    /// With a shared store: how often orphans are looked for, and how old they must be.
    let orphanScan: OrphanScan?
    let logger: Logger
    /// Rows handled per transaction, so a large backlog never holds the writer for long.
    static let batchSize = 500

    /// The lease the periodic sweep needs, and this instance's name for it.
    public struct SweepLease: Sendable {
        public var store: any LeaseStore
        public var holder: String
        public init(store: any LeaseStore = LocalLeases(), holder: String) {
            self.store = store
            self.holder = holder
        }
    }

    /// Leftovers of instances that crashed and never came back: no start-up recovery would see them.
    public struct OrphanScan: Sendable {
        public var interval: Duration
        /// Older than any write in flight takes between its first byte and its row, so a blob
        /// another live instance is still writing is never a candidate.
        public var graceSeconds: Double
        public init(interval: Duration = .seconds(3600), graceSeconds: Double = StartupRecovery.sharedStoreGraceSeconds) {
            self.interval = interval
            self.graceSeconds = graceSeconds
        }
    }

    public init(
        files: FileService,
        interval: Duration,
        metrics: ServerMetrics,
        lease: SweepLease = SweepLease(holder: "local"),
        synchronizeClock: @escaping @Sendable () async throws -> Void = {},
        orphanScan: OrphanScan? = nil,
        logger: Logger
    ) {
        self.synchronizeClock = synchronizeClock
        self.orphanScan = orphanScan
        self.service = files
        self.interval = interval
        self.metrics = metrics
        self.lease = lease
        self.logger = logger
    }

    /// Whether this instance sweeps this round. The lease outlives two intervals, so the holder
    /// keeps it while it runs, and another instance takes over within two intervals of its end.
    func holdsLease() async throws -> Bool {
        let seconds = max(1, Int((Double(interval.components.seconds) * 2).rounded(.up)))
        return try await lease.store.acquireLease("expiry-sweeper", holder: lease.holder, seconds: seconds)
    }

    public func run() async throws {
        // Start-up recovery has just looked for orphans: the first periodic scan is one interval on.
        let lastOrphanScan = NIOLockedValueBox(ContinuousClock.now)
        await repeatEvery(interval, logger: logger, failure: "expiry sweep failed") {
            guard try await holdsLease() else { return logger.debug("expiry sweep left to the instance holding the lease") }
            let removed = try await sweepOnce()
            if removed > 0 { logger.info("swept expired files", metadata: ["count": "\(removed)"]) }
            if let orphanScan, ContinuousClock.now - lastOrphanScan.withLockedValue({ $0 }) >= orphanScan.interval {
                lastOrphanScan.withLockedValue { $0 = ContinuousClock.now }
                // Cut short by a shutdown like the rest of the round (`repeatEvery`): the next holder resumes it.
                try await cleanOrphans()
            }
        }
    }

    /// Removes orphans older than the scan's grace period (all of them, without a scan set).
    @discardableResult
    public func cleanOrphans() async throws -> OrphanReport {
        let cutoff = Date().timeIntervalSince1970 - (orphanScan?.graceSeconds ?? 0)
        let report = try await service.store.removeOrphans(olderThan: cutoff)
        if report != OrphanReport(temporaryFiles: 0, orphanBlobs: 0) {
            logger.info(
                "removed orphans",
                metadata: ["temp_files_removed": "\(report.temporaryFiles)", "orphan_blobs_removed": "\(report.orphanBlobs)"]
            )
        }
        return report
    }

    /// One pass: every file expired by now, and tombstones past their retention. Returns files removed.
    @discardableResult
    public func sweepOnce() async throws -> Int {
        try await synchronizeClock()
        let now = service.clock.seconds
        let removed = try await service.store.removeExpiredFiles(at: now, batchSize: Self.batchSize)
        _ = try await service.store.removeExpiredParts(at: now)
        _ = try await service.store.pruneTombstones(deletedBefore: now - service.settings.tombstoneRetentionSeconds)
        metrics.recordSweep(filesRemoved: removed)
        return removed
    }
}
