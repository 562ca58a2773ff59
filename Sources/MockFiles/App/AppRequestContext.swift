import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Per-request state: the request id every answer carries and, after auth, the tenant.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var tenant: Tenant?
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

/// What a handler learned that the request log wants: the object the request created or touched.
public final class RequestAnnotations: Sendable {
    private let state = NIOLockedValueBox<(objectID: String?, tenant: String?)>((nil, nil))

    public var objectID: String? {
        get { state.withLockedValue { $0.objectID } }
        set { state.withLockedValue { $0.objectID = newValue } }
    }

    public var tenant: String? {
        get { state.withLockedValue { $0.tenant } }
        set { state.withLockedValue { $0.tenant = newValue } }
    }
}
