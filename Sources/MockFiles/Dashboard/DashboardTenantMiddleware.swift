import Hummingbird

/// `/ui/api`: the API's own controllers, acting for the tenant the operator chose (`?tenant=`)
/// instead of one an API key resolves to. The operator may already see and delete every tenant's
/// files; this lets the Upload page add to them under the same rules as `/v1`.
struct DashboardTenantMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let organization: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = request.uri.queryParameters["tenant"].map(String.init), !key.isEmpty else {
            throw APIError.invalid("Choose a tenant: the 'tenant' query parameter is missing.", param: "tenant")
        }
        var context = context
        context.tenant = Tenant(key: key, organization: organization)
        context.annotations.tenant = key
        return try await next(request, context)
    }
}
