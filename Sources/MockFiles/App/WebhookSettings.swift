import Configuration
import Foundation

/// Where batch end events go and how they are signed (`webhookUrl`, `webhookSecret`,
/// `webhookAttempts`, `webhookTimeoutMs`; docs/configuration.md). Off unless `webhookUrl` is set.
public struct WebhookSettings: Sendable {
    public var url: URL
    /// `whsec_…`, as the SDKs' `webhooks.unwrap(…, secret:)` takes it.
    public var secret: String
    /// Deliveries tried per event before it is given up (the first included).
    public var attempts = 8
    /// How long one delivery may take, connection included.
    public var timeoutMilliseconds = 10_000
    /// The wait after the first failed delivery; each later wait doubles, up to `maxRetryDelay`.
    public var firstRetryDelay = Duration.milliseconds(500)
    public var maxRetryDelay = Duration.seconds(30)

    public init(url: URL, secret: String) {
        self.url = url
        self.secret = secret
    }

    /// Nil when `webhookUrl` is not set; a URL, secret or count that cannot work is an error, so
    /// the server stops at start rather than run without the events a test waits for.
    init?(config: ConfigReader) throws {
        guard let text = config.string(forKey: "webhookUrl"), !text.isEmpty else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw SettingsError("webhookUrl must be an http:// or https:// URL, got '\(text)'") }
        guard let secret = config.string(forKey: "webhookSecret", isSecret: true), !secret.isEmpty else {
            throw SettingsError("webhookUrl needs webhookSecret (MOCKFILES_WEBHOOK_SECRET): whsec_ followed by base64, as the SDKs take it")
        }
        guard WebhookSignature(secret: secret) != nil else {
            throw SettingsError("webhookSecret must be whsec_ followed by base64 of at least one byte")
        }
        self.init(url: url, secret: secret)
        attempts = config.int(forKey: "webhookAttempts", default: attempts)
        guard attempts > 0 else { throw SettingsError("webhookAttempts must be positive, got \(attempts)") }
        timeoutMilliseconds = config.int(forKey: "webhookTimeoutMs", default: timeoutMilliseconds)
        guard timeoutMilliseconds > 0 else { throw SettingsError("webhookTimeoutMs must be positive, got \(timeoutMilliseconds)") }
    }
}

/// The secret never reaches a log: the service group prints its services' descriptions at debug.
extension WebhookSettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "WebhookSettings(url: \(url), secret: <redacted>, attempts: \(attempts), timeoutMilliseconds: \(timeoutMilliseconds))"
    }

    public var debugDescription: String { description }
}
