import Logging
import ServiceLifecycle

/// Deletes expired files (rows first, then blobs), the parts of expired uploads and old
/// tombstones at an interval. Expired things are already invisible on read; the sweeper
/// reclaims their space.
public struct ExpirySweeper: Service {
    let service: FileService
    let uploads: UploadService
    let interval: Duration
    let metrics: ServerMetrics
    /// With several instances on one store, the sweep runs where this lease is held.
    let lease: SweepLease
    /// Takes over a clock another instance moved before each sweep (shared controls).
    let synchronizeClock: @Sendable () async throws -> Void
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

    public init(
        files: FileService,
        uploads: UploadService,
        interval: Duration,
        metrics: ServerMetrics,
        lease: SweepLease = SweepLease(holder: "local"),
        synchronizeClock: @escaping @Sendable () async throws -> Void = {},
        logger: Logger
    ) {
        self.synchronizeClock = synchronizeClock
        self.service = files
        self.uploads = uploads
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

    /// Ends on graceful shutdown and on cancellation (the service group cancels its services when
    /// one of them fails, e.g. when the server cannot bind its port): a loop that only watched
    /// for graceful shutdown would spin on `CancellationError` forever.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                guard try await holdsLease() else {
                    logger.debug("expiry sweep left to the instance holding the lease")
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                    continue
                }
                let removed = try await sweepOnce()
                if removed > 0 { logger.info("swept expired files", metadata: ["count": "\(removed)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    /// One pass: every file expired by now, and tombstones past their retention. Returns files removed.
    @discardableResult
    public func sweepOnce() async throws -> Int {
        try await synchronizeClock()
        let now = service.clock.seconds
        var removed = 0
        while true {
            let expired = try await service.metadata.expiredFiles(at: now, limit: Self.batchSize)
            for file in expired {
                if try await service.metadata.delete(id: file.id, tenant: file.tenant, at: now) != nil {
                    try? await service.blobs.removeBlob(id: file.id)
                    removed += 1
                }
            }
            if expired.count < Self.batchSize { break }
        }
        _ = try await uploads.sweepExpiredParts()
        _ = try await service.metadata.pruneTombstones(deletedBefore: now - service.settings.tombstoneRetentionSeconds)
        metrics.recordSweep(filesRemoved: removed)
        return removed
    }
}
