import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// What a batch end event says and how it is signed: the bytes a receiver verifies with the
/// SDKs' `webhooks.unwrap` (the acceptance tests run that verifier on real deliveries).
@Suite struct WebhookEventTests {
    /// `whsec_` + base64 of "mockfiles-test-secret-0123456789".
    static let secret = "whsec_bW9ja2ZpbGVzLXRlc3Qtc2VjcmV0LTAxMjM0NTY3ODk="

    @Test func theSignatureIsTheStandardWebhooksHMAC() throws {
        let signature = try #require(WebhookSignature(secret: Self.secret))
        // Python: base64(hmac.new(b64decode(secret[6:]), b"wh_1.1750000000." + body, sha256).digest())
        let body = Array(#"{"id":"evt_1","object":"event"}"#.utf8)
        #expect(signature.sign(webhookID: "wh_1", timestamp: 1_750_000_000, body: body) == "v1,/kKBtcSWlc7aekaHUSxMDIyHzXZq0YDKQOHBj5poEdQ=")
        #expect(
            signature.sign(webhookID: "wh_2", timestamp: 1_750_000_000, body: body)
                != signature.sign(webhookID: "wh_1", timestamp: 1_750_000_000, body: body)
        )
    }

    @Test(arguments: ["", "whsec_", "whsec_***", "bW9ja2ZpbGVz", "WHSEC_bW9ja2ZpbGVz"])
    func aSecretThatIsNotWhsecBase64IsRefused(_ secret: String) {
        #expect(WebhookSignature(secret: secret) == nil)
    }

    @Test func eachEndIsItsOwnEventTypeAtItsOwnMoment() throws {
        let created = BatchLifecycleTests.created
        let ends: [(StoredBatch, String, Int64)] = [
            (BatchLifecycleTests.batch(), "batch.completed", created + 3000),
            (BatchLifecycleTests.batch(.fail([])), "batch.failed", created + 1000),
            (BatchLifecycleTests.batch(cancelAt: created + 1500), "batch.cancelled", created + 3500),
            (BatchLifecycleTests.batch(cancelAt: created + 500), "batch.cancelled", created + 2500),
        ]
        for (batch, type, moment) in ends {
            #expect(batch.endsAtMilliseconds == moment, "\(type)")
            #expect(BatchEndEvent(batch, state: BatchLifecycle.state(of: batch, at: moment - 1)) == nil, "not ended yet: \(type)")
            let event = try #require(BatchEndEvent(batch, state: BatchLifecycle.state(of: batch, at: moment)))
            #expect(event.type == type && event.createdAt == moment / 1000)
        }
        var expiring = BatchLifecycleTests.batch(
            schedule: BatchSchedule(
                validatingMilliseconds: 1000,
                millisecondsPerLine: 10_000_000,
                finalizingMilliseconds: 1000,
                cancellingMilliseconds: 1000
            )
        )
        expiring.id = "batch_expiring"
        let end = BatchLifecycle.end(of: expiring)
        #expect(end.status == .expired && end.at == (created / 1000 + 86_400) * 1000 + 1000, "the window's end, then finalizing")
    }

    @Test func theBodyIsTheEventInTheServicesKeyOrderAndItsIdsFollowTheBatch() throws {
        let batch = BatchLifecycleTests.batch()
        let event = try #require(BatchEndEvent(batch, state: BatchLifecycle.state(of: batch, at: .max)))
        let text = String(buffer: event.body)
        #expect(
            text
                == #"{"id":"\#(event.id)","object":"event","created_at":\#((BatchLifecycleTests.created + 3000) / 1000),"type":"batch.completed","data":{"id":"\#(batch.id)"}}"#
        )
        #expect(event.id.hasPrefix("evt_") && event.id.count == 36 && event.webhookID.hasPrefix("wh_") && event.webhookID.count == 35)
        var other = batch
        other.id = "batch_other"
        let otherEvent = try #require(BatchEndEvent(other, state: BatchLifecycle.state(of: other, at: .max)))
        #expect(otherEvent.id != event.id && otherEvent.webhookID != event.webhookID)
        #expect(
            try #require(BatchEndEvent(batch, state: BatchLifecycle.state(of: batch, at: .max))) == event,
            "the same on every attempt and instance"
        )
    }
}
