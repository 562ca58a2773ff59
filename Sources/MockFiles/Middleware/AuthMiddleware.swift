import Foundation
import Hummingbird

/// Requires an API key (`Authorization: Bearer <key>`, or Basic with the key as password) and
/// resolves it, with its organization/project headers, to a tenant.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let resolver: TenantResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let credentials: Credentials
        switch Credentials.read(request.headers) {
        case .success(let read): credentials = read
        case .failure(.missing): throw APIError.missingAPIKey
        case .failure(.repeated(let name)): throw APIError.repeatedCredentialHeader(name)
        case .failure(.notVisibleASCII(let name)): throw APIError.credentialNotASCII(name)
        }
        // Noted before the key is checked, so a test can find the requests a wrong key made.
        if credentials.apiKey.utf8.count > 4 { context.annotations.apiKeyHint = String(credentials.apiKey.suffix(4)) }
        let resolution = resolver.resolve(
            apiKey: credentials.apiKey,
            organizationHeader: credentials.organization,
            projectHeader: credentials.project
        )
        let tenant: Tenant
        switch resolution {
        case .tenant(let resolved): tenant = resolved
        case .unknownKey: throw APIError.incorrectAPIKey(credentials.apiKey)
        case .mismatchedOrganization: throw APIError.mismatchedOrganization
        case .mismatchedProject: throw APIError.mismatchedProject
        }
        var context = context
        context.tenant = tenant
        context.annotations.tenant = tenant.key
        var response = try await next(request, context)
        response.headers[.openAIOrganization] = tenant.organization
        if let project = tenant.project { response.headers[.openAIProject] = project }
        return response
    }

    /// The API key of an `Authorization` header, or nil when absent or malformed.
    static func bearerToken(_ header: String?) -> String? {
        header.flatMap(Credentials.apiKey(fromAuthorization:))
    }
}
