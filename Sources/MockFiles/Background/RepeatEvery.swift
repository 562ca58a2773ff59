import Logging
import ServiceLifecycle

/// Runs `round` every `interval` (the background services' loop). Ends on graceful shutdown and
/// on cancellation (the service group cancels its services when one of them fails, e.g. when the
/// server cannot bind its port): a loop that only watched for graceful shutdown would spin on
/// `CancellationError` forever. A round in progress is cancelled by a graceful shutdown too: one
/// waiting on a database that is gone (its connection retried without end) would otherwise hold
/// the shutdown; every round is safe to cut short (what it wrote is whole, a blob without its row
/// is an orphan the next scan removes). A round that fails is logged as `failure`, and the next one comes.
func repeatEvery(_ interval: Duration, logger: Logger, failure: Logger.Message, _ round: @escaping @Sendable () async throws -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        do {
            try await cancelWhenGracefulShutdown { try await round() }
        } catch {
            // A round cut short by the shutdown may end in its client's own error, not CancellationError.
            if error is CancellationError || Task.isShuttingDownGracefully || Task.isCancelled { return }
            logger.error(failure, metadata: ["error": "\(error)"])
        }
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
    }
}
