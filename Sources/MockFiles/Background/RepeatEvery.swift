import Logging
import ServiceLifecycle

/// Runs `round` every `interval` (the background services' loop). Ends on graceful shutdown and
/// on cancellation (the service group cancels its services when one of them fails, e.g. when the
/// server cannot bind its port): a loop that only watched for graceful shutdown would spin on
/// `CancellationError` forever. A round that fails is logged as `failure`, and the next one comes.
func repeatEvery(_ interval: Duration, logger: Logger, failure: Logger.Message, _ round: () async throws -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        do {
            try await round()
        } catch is CancellationError {
            return
        } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
        }
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
    }
}
