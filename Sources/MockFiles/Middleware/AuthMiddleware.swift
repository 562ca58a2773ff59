import Foundation
import HTTPTypes
import Hummingbird

/// Requires an API key (`Authorization: Bearer <key>`, or Basic with the key as password) and
/// resolves it, with its organization/project headers, to a tenant.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let resolver: TenantResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tenant = try Self.tenant(of: request.headers, resolver: resolver, annotations: context.annotations)
        var context = context
        context.tenant = tenant
        do {
            var response = try await next(request, context)
            Self.stamp(tenant, on: &response.headers)
            return response
        } catch let error where !ErrorEnvelopeMiddleware.closedConnection(error) {
            // Errors name the caller's organization and project too, as every answer does.
            var envelope = ErrorEnvelopeMiddleware.envelope(for: error, request: request, context: context)
            Self.stamp(tenant, on: &envelope.headers)
            throw envelope
        }
    }

    /// The tenant the request's credentials name, or the API error that refuses them. Also the
    /// rule of the direct reads (`DirectFileReads`).
    static func tenant(of headers: HTTPFields, resolver: TenantResolver, annotations: RequestAnnotations) throws(APIError) -> Tenant {
        let credentials: Credentials
        switch Credentials.read(headers) {
        case .success(let read): credentials = read
        case .failure(.missing): throw APIError.missingAPIKey
        case .failure(.repeated(let name)): throw APIError.repeatedCredentialHeader(name)
        case .failure(.notVisibleASCII(let name)): throw APIError.credentialNotASCII(name)
        }
        // Noted before the key is checked, so a test can find the requests a wrong key made.
        if credentials.apiKey.utf8.count > 4 { annotations.apiKeyHint = String(credentials.apiKey.suffix(4)) }
        let resolution = resolver.resolve(
            apiKey: credentials.apiKey,
            organizationHeader: credentials.organization,
            projectHeader: credentials.project
        )
        switch resolution {
        case .tenant(let tenant):
            annotations.tenant = tenant.key
            return tenant
        case .unknownKey: throw APIError.incorrectAPIKey(credentials.apiKey)
        case .mismatchedOrganization: throw APIError.mismatchedOrganization
        case .mismatchedProject: throw APIError.mismatchedProject
        }
    }

    /// The tenant's organization and project on its answer, as the real service sends them.
    static func stamp(_ tenant: Tenant, on headers: inout HTTPFields) {
        headers[.openAIOrganization] = tenant.organization
        if let project = tenant.project { headers[.openAIProject] = project }
    }

    /// The API key of an `Authorization` header, or nil when absent or malformed.
    static func bearerToken(_ header: String?) -> String? {
        header.flatMap(Credentials.apiKey(fromAuthorization:))
    }
}

extension AuthMiddleware: RequestRule {
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }

    /// A refused key is the router's to answer (401).
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool {
        answer.tenant = try? Self.tenant(of: answer.head.headerFields, resolver: resolver, annotations: answer.annotations)
        return answer.tenant != nil
    }

    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool {
        if let tenant = answer.tenant { Self.stamp(tenant, on: &answer.headers) }
        return true
    }

    func recordDirectAnswer(_ answer: DirectAnswer) {}
}
