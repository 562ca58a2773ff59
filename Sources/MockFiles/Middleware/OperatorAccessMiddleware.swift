import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Guards what belongs to the operator (`/admin/`, and the dashboard): not a tenant's key but
/// the admin token when one is configured; otherwise loopback clients only. Loopback is no
/// browser boundary, so without a token it also refuses what only a web page would send: a
/// foreign `Origin` (a cross-site request), a `Host` that is not a loopback name (DNS
/// rebinding: a hostile name resolving to 127.0.0.1), and a write without `application/json`
/// (the one content type a page cannot send across sites without a CORS preflight).
struct OperatorAccessMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let token: String?
    /// Host names besides loopback ones the server may be reached by (`publicHosts`).
    let publicHosts: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if token != nil {
            guard presentsToken(request) else {
                throw APIError(
                    status: .unauthorized,
                    message: "The admin API needs the admin token as 'Authorization: Bearer <token>'.",
                    code: "invalid_admin_token"
                )
            }
            try Self.requireJSONWrite(request)
            return try await next(request, context)
        }
        try checkLoopbackClient(request, context: context)
        try Self.requireJSONWrite(request)
        return try await next(request, context)
    }

    /// Whether the request carries the admin token as `Authorization: Bearer` (false without one).
    func presentsToken(_ request: Request) -> Bool {
        guard let token, let presented = AuthMiddleware.bearerToken(request.headers[.authorization]) else { return false }
        return Self.equalInConstantTime(presented, token)
    }

    /// Without a token: a loopback client, a loopback (or configured) host name, and no foreign
    /// `Origin`. The dashboard (`/ui`) applies the same rule.
    func checkLoopbackClient(_ request: Request, context: Context) throws {
        if let address = context.channel?.remoteAddress, !Self.isLoopback(address) {
            throw Self.refusal("The admin API answers loopback clients only; configure an admin token (adminToken) to use it from elsewhere.")
        }
        // HTTP/1.1 requests always name a host (HTTP1ConformanceHandler refuses them otherwise).
        if let authority = request.head.authority, !isAllowed(host: Self.hostName(authority)) {
            throw Self.refusal(
                "The admin API answers requests for a loopback host name (localhost, 127.0.0.1, [::1]) or a configured publicHosts name only."
            )
        }
        if let origin = request.headers[.origin] {
            guard let originHost = Self.hostOfOrigin(origin), isAllowed(host: originHost) else {
                throw Self.refusal("The admin API does not answer requests from web pages of other origins (Origin: \(origin)).")
            }
        }
    }

    /// Writes take JSON: the one content type a page cannot send across sites without a
    /// preflight. A snapshot restore takes its tar, `application/x-tar`, which no page can send
    /// across sites without one either.
    static func requireJSONWrite(_ request: Request) throws {
        guard request.method == .post || request.method == .put || request.method == .patch else { return }
        let type = request.headers[.contentType].map { ParameterizedHeader(parsing: $0).type }
        if type == "application/json" { return }
        if request.uri.path == "/admin/snapshot" {
            guard type != "application/x-tar" else { return }
            throw APIError(
                status: .unsupportedMediaType,
                message: "A snapshot restore takes the archive as 'Content-Type: application/x-tar'.",
                code: "unsupported_media_type"
            )
        }
        throw APIError(
            status: .unsupportedMediaType,
            message: "Admin writes take 'Content-Type: application/json' (send {} when there is nothing to say).",
            code: "unsupported_media_type"
        )
    }

    func isAllowed(host: String) -> Bool {
        Self.isLoopbackName(host) || publicHosts.contains(host)
    }

    static func refusal(_ message: String) -> APIError {
        APIError(status: .forbidden, message: message, code: "admin_loopback_only")
    }

    /// `localhost`, a name under `.localhost` (RFC 6761 keeps them on loopback), `127.x.x.x`, `::1`.
    static func isLoopbackName(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The host of a `Host` value without its port, lower-cased, IPv6 brackets removed.
    static func hostName(_ authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") {
            return String(lowered[lowered.index(after: lowered.startIndex)..<close])
        }
        return String(lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The host of an `Origin` (`scheme://host[:port]`); nil for `null` and anything unparsable.
    static func hostOfOrigin(_ origin: String) -> String? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        let authority = origin[schemeEnd.upperBound...]
        guard !authority.isEmpty, !authority.contains("/") else { return nil }
        return hostName(String(authority))
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return true }  // Unix domain sockets are local.
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// Compares digests, so the time taken says nothing of how much of the token matched.
    static func equalInConstantTime(_ presented: String, _ token: String) -> Bool {
        SHA256.hash(data: Array(presented.utf8)) == SHA256.hash(data: Array(token.utf8))
    }
}
