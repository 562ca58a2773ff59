import Hummingbird
import Logging

/// Per-request state: the request id every answer carries and, after auth, the tenant.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var tenant: Tenant?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
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
