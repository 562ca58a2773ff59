import Foundation
import HTTPTypes
import Hummingbird

/// CORS on `/v1`, as the real service does it (openai-node's `dangerouslyAllowBrowser` talks to it
/// from pages): preflights are answered before authentication, and answers to a request with
/// an `Origin` allow it and expose the headers the SDKs read. Files and Uploads answers carry
/// `Access-Control-Allow-Origin: *` and the exposed headers even unasked, as every recorded
/// answer of theirs does (the .NET SDK's recordings, 2025-09 to 2026-05, none with an `Origin`);
/// the recorded Batches answers do not. Never on `/admin` or the dashboard.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// `*`, or the exact origins allowed (`corsAllowedOrigins`).
    let allowedOrigins: Set<String>
    /// `allowedOrigins` has `*`: asked of every answer, so looked up once.
    let allowsEveryOrigin: Bool

    init(allowedOrigins: Set<String>) {
        self.allowedOrigins = allowedOrigins
        allowsEveryOrigin = allowedOrigins.contains("*")
    }

    /// What the SDKs send besides the CORS-safelisted headers (`x-stainless-*` by prefix).
    static let allowedRequestHeaders: Set<String> = [
        "authorization", "content-type", "accept", "openai-organization", "openai-project", "openai-beta", "idempotency-key",
    ]
    static let exposedHeaders =
        "x-request-id, openai-organization, openai-project, openai-processing-ms, openai-version, retry-after, retry-after-ms, x-should-retry"
    /// The paths whose answers allow every origin unasked.
    static let openPathPrefixes = ["/v1/files", "/v1/uploads"]
    static let allowedMethods = "GET, HEAD, POST, DELETE, OPTIONS"
    static let preflightMaxAgeSeconds = "600"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/v1" || path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let origin = request.headers[.origin] else {
            var response = try await next(request, context)
            stampUnasked(&response.headers, path: path)
            return response
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

    /// What a Files or Uploads answer carries without an `Origin`, when every origin is allowed.
    func stampUnasked(_ headers: inout HTTPFields, path: String) {
        guard allowsEveryOrigin, Self.isOpenPath(path) else { return }
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
    }

    static func isOpenPath(_ path: String) -> Bool {
        openPathPrefixes.contains { prefix in
            path.hasPrefix(prefix) && (path.utf8.count == prefix.utf8.count || path.utf8.dropFirst(prefix.utf8.count).first == UInt8(ascii: "/"))
        }
    }

    func allowOrigin(for origin: String) -> String? {
        if allowsEveryOrigin { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }
}

extension CORSMiddleware: RequestRule {
    /// An `Origin` asks for the headers this rule writes for it (or a preflight).
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { head.headerFields[.origin] != nil }
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool { true }

    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool {
        stampUnasked(&answer.headers, path: answer.path)
        return true
    }

    func recordDirectAnswer(_ answer: DirectAnswer) {}
}
