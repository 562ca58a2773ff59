import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <key>` and resolves the key (and its organization/project
/// headers) to a tenant.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let resolver: TenantResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = Self.bearerToken(request.headers[.authorization]) else {
            throw APIError.missingAPIKey
        }
        let resolution = resolver.resolve(
            apiKey: key,
            organizationHeader: request.headers[.openAIOrganization],
            projectHeader: request.headers[.openAIProject]
        )
        let tenant: Tenant
        switch resolution {
        case .tenant(let resolved): tenant = resolved
        case .unknownKey: throw APIError.incorrectAPIKey(key)
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

    /// The key of `Bearer <key>` (scheme case-insensitive), or nil when absent or malformed.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }
}
