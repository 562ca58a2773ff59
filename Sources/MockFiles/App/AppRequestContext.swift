import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Per-request state: the request id every answer carries and, after auth, the tenant.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var tenant: Tenant?
    /// A dashboard form's fields, read (and its CSRF token checked) by `DashboardAccessMiddleware`.
    public var form: [String: String] = [:]
    /// The connection, for fault injection (dropping it) and the admin API's loopback check.
    public let channel: (any Channel)?
    /// Filled by handlers, read by the request log after the answer.
    public let annotations = RequestAnnotations()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// JSON bodies are small; multipart bodies are streamed and never collected.
    public var maxUploadSize: Int { 1 << 20 }

    /// The tenant set by `AuthMiddleware`; routes behind it can rely on it.
    public var requireTenant: Tenant {
        get throws {
            guard let tenant else { throw APIError.missingAPIKey }
            return tenant
        }
    }
}

/// What the handlers and middleware learned that the request log wants: the object touched, who
/// asked, the multipart fields sent, the error answered.
public final class RequestAnnotations: Sendable {
    public struct Notes: Sendable {
        public var objectID: String?
        public var tenant: String?
        public var apiKeyHint: String?
        public var multipartFields: [String]?
        public var error: RequestLogEntry.ErrorSummary?
        /// A fault drops the connection: closed by `RequestLogMiddleware` once the request is in
        /// the log, so a test that saw the drop finds it there (the shared log's INSERT takes a
        /// while; the close came first before, and a busy machine lost that race).
        public var dropsConnection = false
    }

    private let state = NIOLockedValueBox(Notes())

    public var notes: Notes { state.withLockedValue { $0 } }

    public var objectID: String? {
        get { state.withLockedValue { $0.objectID } }
        set { state.withLockedValue { $0.objectID = newValue } }
    }

    public var tenant: String? {
        get { state.withLockedValue { $0.tenant } }
        set { state.withLockedValue { $0.tenant = newValue } }
    }

    public var apiKeyHint: String? {
        get { state.withLockedValue { $0.apiKeyHint } }
        set { state.withLockedValue { $0.apiKeyHint = newValue } }
    }

    public var error: RequestLogEntry.ErrorSummary? {
        get { state.withLockedValue { $0.error } }
        set { state.withLockedValue { $0.error = newValue } }
    }

    public var dropsConnection: Bool {
        get { state.withLockedValue { $0.dropsConnection } }
        set { state.withLockedValue { $0.dropsConnection = newValue } }
    }

    /// Called with every multipart event a handler reads; keeps the fields' names in order.
    func note(_ event: MultipartFormReader.Event) {
        guard case .partHeaders(let headers) = event else { return }
        state.withLockedValue { $0.multipartFields = ($0.multipartFields ?? []) + [headers.fieldName ?? ""] }
    }
}
