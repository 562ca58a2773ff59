import Foundation
import HTTPTypes
import Hummingbird

/// CORS on `/v1`, as the real service does it (openai-node's `dangerouslyAllowBrowser` talks to it
/// from pages): preflights are answered before authentication, and answers to a request with
/// an `Origin` allow it and expose the headers the SDKs read. Never on `/admin` or the dashboard.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// `*`, or the exact origins allowed (`corsAllowedOrigins`).
    let allowedOrigins: Set<String>

    /// What the SDKs send besides the CORS-safelisted headers (`x-stainless-*` by prefix).
    static let allowedRequestHeaders: Set<String> = [
        "authorization", "content-type", "accept", "openai-organization", "openai-project", "openai-beta", "idempotency-key",
    ]
    static let exposedHeaders =
        "x-request-id, openai-organization, openai-project, openai-processing-ms, openai-version, retry-after, retry-after-ms, x-should-retry"
    static let allowedMethods = "GET, HEAD, POST, DELETE, OPTIONS"
    static let preflightMaxAgeSeconds = "600"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/v1" || path.hasPrefix("/v1/"), let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return preflight(request, origin: origin)
        }
        var response = try await next(request, context)
        if let allowed = allowOrigin(for: origin) {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            if allowed != "*" { response.headers[.vary] = "Origin" }
        }
        return response
    }

    /// 204 with what the browser asked to use, when it may; without CORS headers (the browser
    /// then refuses) when the origin is not allowed.
    func preflight(_ request: Request, origin: String) -> Response {
        var headers: HTTPFields = [.contentLength: "0"]
        if let allowed = allowOrigin(for: origin) {
            headers[.accessControlAllowOrigin] = allowed
            headers[.accessControlAllowMethods] = Self.allowedMethods
            let requested = (request.headers[.accessControlRequestHeaders] ?? "")
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            let granted = requested.filter { Self.allowedRequestHeaders.contains($0) || $0.hasPrefix("x-stainless-") }
            if !granted.isEmpty { headers[.accessControlAllowHeaders] = granted.joined(separator: ", ") }
            headers[.accessControlMaxAge] = Self.preflightMaxAgeSeconds
            if allowed != "*" { headers[.vary] = "Origin" }
        }
        return Response(status: .noContent, headers: headers)
    }

    func allowOrigin(for origin: String) -> String? {
        if allowedOrigins.contains("*") { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }
}
