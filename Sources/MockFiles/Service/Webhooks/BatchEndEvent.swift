import Crypto
import NIOCore

/// The webhook event that announces a batch's end, as the service sends it:
/// `{"id": "evt_…", "object": "event", "created_at": …, "type": "batch.completed", "data": {"id": "batch_…"}}`
/// (the keys and their order of the service's webhook guide and the SDKs' event types).
struct BatchEndEvent: Sendable, Equatable {
    let id: String
    /// The `webhook-id` header: the same on every attempt, so a receiver can drop repeats.
    let webhookID: String
    /// `batch.completed`, `batch.failed`, `batch.expired` or `batch.cancelled`.
    let type: String
    /// When the batch reached that status, by the mock clock (its `completed_at` and so on).
    let createdAt: Int64
    let batchID: String
    let tenant: String

    /// The event for `batch` in the state it has reached; nil while it has not ended.
    init?(_ batch: StoredBatch, state: BatchLifecycle.State) {
        let ended: (String, Int64?) =
            switch state.status {
            case .completed: ("batch.completed", state.completedAt)
            case .failed: ("batch.failed", state.failedAt)
            case .expired: ("batch.expired", state.expiredAt)
            case .cancelled: ("batch.cancelled", state.cancelledAt)
            default: ("", nil)
            }
        guard let createdAt = ended.1 else { return nil }
        // Derived from the batch, not drawn: every instance and every retry names the event alike.
        id = "evt_" + Self.hex(of: "event \(batch.id)")
        webhookID = "wh_" + Self.hex(of: "webhook \(batch.id)")
        type = ended.0
        self.createdAt = createdAt
        batchID = batch.id
        tenant = batch.tenant
    }

    /// The request body: compact JSON (our choice; no delivery's bytes are on record).
    var body: ByteBuffer {
        var json = JSONWriter(layout: .compact, capacity: 160)
        json.beginObject()
        json.field("id", id)
        json.field("object", "event")
        json.field("created_at", createdAt)
        json.field("type", type)
        json.key("data")
        json.beginObject()
        json.field("id", batchID)
        json.endObject()
        json.endObject()
        return json.finish()
    }

    /// 32 hex digits, the length of the service's event ids.
    private static func hex(of text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).prefix(16).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }
}
