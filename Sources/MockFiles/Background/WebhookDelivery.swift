import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One POST of an event to the webhook URL, described as the request log keeps it.
struct WebhookDelivery: Sendable {
    let client: HTTPClient
    let settings: WebhookSettings
    let signature: WebhookSignature
    let instance: String
    let clock: ServiceClock
    /// The service's sender, as its webhook guide names it.
    static let userAgent = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"

    init(client: HTTPClient, settings: WebhookSettings, instance: String, clock: ServiceClock) {
        self.client = client
        self.settings = settings
        // Checked when the settings were read.
        self.signature = WebhookSignature(secret: settings.secret)!
        self.instance = instance
        self.clock = clock
    }

    /// Sends `event` once; the entry's status is the receiver's, 0 when none came (no
    /// connection, a timeout: `error` says which).
    func send(_ event: BatchEndEvent) async -> RequestLogEntry {
        let body = event.body
        // Wall-clock time, whatever the mock clock says: receivers refuse a timestamp more than
        // five minutes from their own now (the SDKs' `unwrap`).
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: settings.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "webhook-id", value: event.webhookID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: signature.sign(webhookID: event.webhookID, timestamp: timestamp, body: body.readableBytesView)
        )
        request.body = .bytes(body)
        let started = ContinuousClock.now
        var status = 0
        var received: Int64?
        var failure: RequestLogEntry.ErrorSummary?
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
            status = Int(response.status.code)
            // Read and dropped: only the status counts, and a large answer must not be held.
            var count: Int64 = 0
            for try await chunk in response.body { count += Int64(chunk.readableBytes) }
            received = count
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            failure = .init(type: "webhook_delivery_failed", code: "timeout", param: nil)
        } catch {
            if status == 0 { failure = .init(type: "webhook_delivery_failed", code: "connection_failed", param: nil) }
        }
        let elapsed = ContinuousClock.now - started
        return RequestLogEntry(
            requestID: event.webhookID,
            instance: instance,
            method: "POST",
            path: settings.url.absoluteString,
            status: status,
            tenant: event.tenant,
            apiKeyHint: nil,
            objectID: event.batchID,
            contentType: "application/json",
            multipartFields: nil,
            error: failure,
            bytesIn: received,
            bytesOut: Int64(body.readableBytes),
            durationMilliseconds: elapsed.inMilliseconds,
            timestamp: clock.now,
            direction: .outgoing
        )
    }
}
