import Crypto
import Foundation

/// Signs webhook requests the Standard Webhooks way, as the service does: `webhook-signature:
/// v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed by the bytes of a
/// `whsec_<base64>` secret. The SDKs' `webhooks.unwrap` checks exactly this.
struct WebhookSignature: Sendable {
    private let key: SymmetricKey

    /// Nil when `secret` is not `whsec_` followed by base64 of at least one byte.
    init?(secret: String) {
        guard secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst(6))), !bytes.isEmpty else {
            return nil
        }
        key = SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` header's value.
    func sign(webhookID: String, timestamp: Int64, body: some Sequence<UInt8>) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("\(webhookID).\(timestamp).".utf8))
        mac.update(data: Array(body))
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }
}
