import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Sends the events that announce batches' ends (`BatchEndEvent`) to `webhookUrl`, signed as the
/// service signs them. Each round finds the events due by the mock clock (`BatchEventStore`);
/// each event is delivered on a task of its own, retried with a doubling wait until it gets a
/// 2xx or its attempts run out, so a slow or failing receiver delays nothing else and never the
/// batch. The event's row goes only after that: one due when the process stops is sent by the
/// next one to hold the lease (at least once; a receiver drops repeats by `webhook-id`).
public struct WebhookSender: Service {
    let batches: BatchService
    let settings: WebhookSettings
    let lease: ExpirySweeper.SweepLease
    /// Takes over a clock another instance moved (shared controls).
    let synchronizeClock: @Sendable () async throws -> Void
    /// Writes a delivery into the request log, where `/admin/verify` sees it.
    let record: @Sendable (RequestLogEntry) async throws -> Void
    let instance: String
    let interval: Duration
    let logger: Logger

    public init(
        batches: BatchService,
        settings: WebhookSettings,
        lease: ExpirySweeper.SweepLease,
        synchronizeClock: @escaping @Sendable () async throws -> Void,
        record: @escaping @Sendable (RequestLogEntry) async throws -> Void,
        instance: String,
        interval: Duration = .milliseconds(250),
        logger: Logger
    ) {
        self.batches = batches
        self.settings = settings
        self.lease = lease
        self.synchronizeClock = synchronizeClock
        self.record = record
        self.instance = instance
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        // A receiver answers where it is: a redirect is a failed delivery, as a non-2xx is.
        configuration.redirectConfiguration = .disallow
        // A refused connection is a failed attempt, retried on the sender's schedule: the pool's own
        // retries would keep one attempt going until its timeout, and the log would see none of them.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let delivery = WebhookDelivery(client: client, settings: settings, instance: instance, clock: batches.clock)
        let sending = NIOLockedValueBox(Set<String>())
        let (due, found) = AsyncStream.makeStream(of: StoredBatch.self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                await repeatEvery(interval, logger: logger, failure: "sending batch webhook events failed") {
                    // Two seconds: another instance takes over soon after this one stops.
                    guard try await lease.store.acquireLease("webhook-sender", holder: lease.holder, seconds: 2) else { return }
                    try await synchronizeClock()
                    let batches = try await batches.store.batchesToAnnounce(dueBy: batches.clock.milliseconds, limit: 50)
                    for batch in batches where sending.withLockedValue({ $0.insert(batch.id).inserted }) { found.yield(batch) }
                }
                found.finish()
            }
            for await batch in due {
                group.addTask {
                    // A round that read the event's row just before it went may offer it again:
                    // a sent event stays known here for longer than a round takes.
                    if await announce(batch, through: delivery) { try? await Task.sleep(for: .seconds(10)) }
                    _ = sending.withLockedValue { $0.remove(batch.id) }
                }
            }
            // Deliveries waiting to retry stop with the server; their events stay due.
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    /// Delivers the batch's event, or gives it up; true when its row is gone.
    private func announce(_ batch: StoredBatch, through delivery: WebhookDelivery) async -> Bool {
        do {
            // Not ended yet by the clock (it moved back, or another instance moved it): a later round sends it.
            guard let event = try await batches.endEvent(of: batch) else { return false }
            var wait = settings.firstRetryDelay
            for attempt in 1...settings.attempts {
                let entry = await delivery.send(event)
                do { try await record(entry) } catch { logger.error("request log write failed", metadata: ["error": "\(error)"]) }
                let delivered = (200..<300).contains(entry.status)
                batches.metrics.recordWebhookAttempt(status: entry.status, givenUp: !delivered && attempt == settings.attempts)
                if delivered { break }
                guard attempt < settings.attempts else {
                    logger.error(
                        "webhook event given up",
                        metadata: ["event": "\(event.id)", "batch": "\(event.batchID)", "attempts": "\(attempt)"]
                    )
                    break
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, settings.maxRetryDelay)
            }
            try await batches.store.removeAnnouncement(batchID: batch.id)
            return true
        } catch {
            if !(error is CancellationError) {
                logger.error("batch webhook event failed", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            }
            return false
        }
    }
}
