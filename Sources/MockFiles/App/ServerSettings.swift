import Foundation
import Logging

/// Every setting of `mockfiles serve`. Defaults here; `ServerSettings+Config.swift` reads
/// them from flags, environment variables and a config file.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds the SQLite database and the blobs (the embedded default; see `storage`).
    public var dataDirectory = "./data"
    /// False for `serve --ephemeral`, whose data directory goes at exit: nothing is fsynced.
    public var durableWrites = true
    /// PostgreSQL and S3 instead of SQLite and the data directory, when set.
    public var storage = StorageSettings()
    /// This instance among several sharing a database (leases; default host name and process id).
    public var instanceName = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    /// PostgreSQL connections one instance keeps at most (size the server's `max_connections` for all instances).
    public var databaseConnections = 20
    public var tenancy = TenancyMode.shared
    /// Sent in `openai-organization` when no key mapping names one.
    public var organization = "org-mockfiles"
    /// Sent in `openai-project` when the tenant names no project.
    public var project = "proj_mockfiles"
    public var apiKeys: [APIKeyEntry] = []
    /// When true, only keys listed in `apiKeys` are accepted (others get 401 `invalid_api_key`).
    public var rejectUnknownKeys = false
    public var files = FileService.Settings()
    public var uploads = UploadService.Settings()
    public var batches = BatchService.Settings()
    /// Batch end events POSTed to a URL; nil (the default) sends none.
    public var webhooks: WebhookSettings?
    public var sweepIntervalSeconds: Double = 60
    /// A connection with no traffic for this long is closed (slow or stuck clients).
    public var idleTimeoutSeconds: Double = 120
    /// A request head not complete this long after it began (after accept, for a connection's first)
    /// is answered 408 and the connection closed; trickled bytes do not extend it.
    public var headTimeoutSeconds: Double = 10
    /// Connections held at once. A newcomer over it is still accepted: a connection waiting for a
    /// request head is closed to make room (`ConnectionGate`), or, when every one is busy, the
    /// newcomer is answered for `/health` only.
    public var maxConnections = 1024
    /// Connections from one peer IP address at once, kept as `maxConnections` is. A quarter of
    /// the total, so no single address (one client, or every client behind one NAT or proxy)
    /// can hold every slot with requests; far above a client's pool (httpx keeps 100).
    public var maxConnectionsPerAddress = 256
    /// JSON answers at least this large are gzip-compressed for clients that accept it.
    public var gzipMinimumBytes = 1024
    public var logLevel = Logger.Level.info
    public var logFormat = LogFormat.text
    /// Required as `Bearer` on `/admin/` when set; otherwise the admin API is open on loopback only.
    public var adminToken: String?
    /// Host names, besides loopback ones, that `/admin/` answers for without a token (DNS
    /// rebinding protection refuses any other `Host`).
    public var publicHosts: Set<String> = []
    /// Origins whose pages may call `/v1` (CORS): `*` or exact origins.
    public var corsAllowedOrigins: Set<String> = ["*"]
    /// A directory with `fixtures.json`, loaded at start and on reset.
    public var fixturesDirectory: String?
    /// A snapshot archive the state is replaced with at start, before the port opens.
    public var startupSnapshot: String?
    /// Requests kept by the request log.
    public var requestLogCapacity = 1000
    /// Seeds the id generator so file, upload and part ids repeat run to run.
    public var idSeed: UInt64?

    public init() {}

    /// How log lines are written (both on stderr).
    public enum LogFormat: String, Sendable, CaseIterable {
        /// swift-log's default: `time level label: [metadata] message`.
        case text
        /// One JSON object per line (`JSONLogHandler`).
        case json
    }

    public var defaultScope: DefaultScope { DefaultScope(organization: organization, project: project) }

    public var tenantResolver: TenantResolver {
        TenantResolver(mode: tenancy, keys: apiKeys, rejectUnknownKeys: rejectUnknownKeys, defaultOrganization: organization)
    }
}
