import Foundation
import Logging
import ServiceLifecycle

/// Cleans up after a crash: temp files of unfinished uploads and blobs that never got their
/// row (or lost it to a delete). Runs beside the server so readiness never waits on a scan.
public struct StartupRecovery: Service {
    let store: FileStore
    /// Blobs written after this instant (Unix seconds) may belong to uploads in flight: left alone.
    /// With a shared store, other live instances write too: then only blobs older by
    /// `sharedStoreGraceSeconds` are candidates.
    let cutoff: Double
    let logger: Logger

    /// Longer than any single request takes between committing a blob and inserting its row.
    public static let sharedStoreGraceSeconds: Double = 3600

    public init(store: FileStore, startedAt: Double, logger: Logger) {
        self.store = store
        self.cutoff = store.isShared ? startedAt - Self.sharedStoreGraceSeconds : startedAt
        self.logger = logger
    }

    public func run() async throws {
        do {
            // A shutdown must not wait for a scan of a large store: cancel it instead.
            let report = try await cancelWhenGracefulShutdown { try await recover() }
            logger.info(
                "recovery done",
                metadata: ["temp_files_removed": "\(report.temporaryFiles)", "orphan_blobs_removed": "\(report.orphanBlobs)"]
            )
        } catch is CancellationError {
            // Stopped by a shutdown; the next start resumes the scan.
            logger.info("recovery stopped by shutdown")
        } catch {
            logger.error("recovery failed", metadata: ["error": "\(error)"])
        }
        // Stay up until shutdown: a service that returns early would stop the group.
        try? await gracefulShutdown()
    }

    /// Removes stale temp files, then orphan blobs (`FileStore.removeOrphans`).
    public func recover() async throws -> OrphanReport {
        try await store.removeOrphans(olderThan: cutoff)
    }
}
