import Foundation

/// An OpenAI-compatible server that answers a batch's lines in place of `BatchAnswers` (setting
/// `batchUpstream`): each line's `body` is POSTed to `url` + the line's `url` when the batch's
/// result files are made, and its answer recorded as the service records it.
public struct BatchUpstream: Sendable, Equatable {
    /// The server's root, without a final `/` (`http://127.0.0.1:11434`, not `…/v1`: the lines'
    /// `url` already starts with `/v1`).
    public var url: String
    /// Sent as `Authorization: Bearer` when set (`batchUpstreamApiKey`, from the environment).
    public var apiKey: String?
    /// Requests in flight at once, at most.
    public var concurrency = 8
    /// How long one request may take, answer included, before its line fails with a timeout.
    public var timeoutSeconds: Double = 60

    /// Checks `url`: an `http` or `https` URL with a host and nothing after its path (a query
    /// or a fragment would land in the middle of every line's URL), and no credentials in it
    /// (the key has its own setting, kept out of logs).
    public init(url text: String, apiKey: String? = nil) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil, url.password == nil
        else {
            throw SettingsError("batchUpstream must be an http:// or https:// URL with a host and no query, got '\(text)'")
        }
        var root = text
        while root.hasSuffix("/") { root.removeLast() }
        self.url = root
        self.apiKey = apiKey
    }

    func validate() throws {
        guard (1...1024).contains(concurrency) else {
            throw SettingsError("batchUpstreamConcurrency must be between 1 and 1024, got \(concurrency)")
        }
        guard timeoutSeconds > 0, timeoutSeconds <= 86_400 else {
            throw SettingsError("batchUpstreamTimeoutSeconds must be positive and at most 86400, got \(timeoutSeconds)")
        }
    }
}

/// Without the key: services are logged whole at debug level (swift-service-lifecycle describes
/// each), and this value sits inside the batch settler's.
extension BatchUpstream: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "BatchUpstream(url: \(url), apiKey: \(apiKey == nil ? "none" : "<redacted>"), concurrency: \(concurrency), timeoutSeconds: \(timeoutSeconds))"
    }

    public var debugDescription: String { description }
}
