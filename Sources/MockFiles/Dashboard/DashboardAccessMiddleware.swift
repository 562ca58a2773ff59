import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/ui` behind the admin API's rule: with an admin token, a session from the login form (or the
/// token as a Bearer header); without one, loopback clients on a loopback host name and no foreign
/// `Origin`. Every write, in both modes, comes from the dashboard's own origin (`Origin`,
/// `Sec-Fetch-Site`) and carries the CSRF token of its session (without a token, the process's):
/// pages' forms as a field, the Upload page's requests to `/ui/api` as an `X-CSRF-Token` header
/// (their bodies are the API's own multipart and JSON). A write with the Bearer header needs no
/// CSRF token: no page can make a browser send that header.
struct DashboardAccessMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Where a write carries its CSRF token: the pages' forms, or the header of `/ui/api`.
    enum CSRFCarrier { case formField, header }

    let operatorAccess: OperatorAccessMiddleware
    let sessions: DashboardSessions
    var csrfCarrier = CSRFCarrier.formField
    /// Forms are a few fields; anything longer is refused before it is read further.
    static let maxFormBytes = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // The login form has no session to bind a token to; its write rests on the origin check
        // (a forged sign-in needs the admin token anyway).
        let isLogin = request.uri.path == "/ui/login"
        var expectedCSRF: String?  // nil: the request's writes need none (a sign-in, a Bearer request)
        if sessions.signInRequired {
            let session = sessions.session(of: request)
            let bearer = operatorAccess.presentsToken(request)
            if session == nil && !bearer && !isLogin {
                guard request.method == .get || request.method == .head else {
                    throw APIError(status: .unauthorized, message: "Sign in to the dashboard first.", code: "invalid_admin_token")
                }
                return Self.redirect(to: "/ui/login")
            }
            if !bearer { expectedCSRF = session?.csrf }
        } else {
            try operatorAccess.checkLoopbackClient(request, context: context)
            expectedCSRF = sessions.loopbackCSRF
        }
        if request.method == .post {
            try Self.checkSameOrigin(request)
            let expected = isLogin ? nil : expectedCSRF
            switch csrfCarrier {
            case .header:
                if let expected { try Self.checkCSRF(request.headers[.csrfToken], expected: expected) }
            case .formField:
                let form = try await Self.form(of: request)
                if let expected { try Self.checkCSRF(form["csrf"], expected: expected) }
                context.form = form
            }
        }
        return try await next(request, context)
    }

    private static func checkCSRF(_ presented: String?, expected: String) throws {
        guard let presented, OperatorAccessMiddleware.equalInConstantTime(presented, expected) else {
            throw APIError(status: .forbidden, message: "The form's CSRF token is missing or stale; reload the page.", code: "csrf_failed")
        }
    }

    /// A write comes from the dashboard's own pages: an `Origin`, when sent, is this server's
    /// (host and port of the `Host` header; a page on another port of the same host is another
    /// origin, though the same site for cookies), and `Sec-Fetch-Site`, when sent, says
    /// `same-origin` (or `none`: typed by the user). The scheme is not compared: the server may sit
    /// behind a TLS proxy, and two schemes cannot serve one host and port anyway.
    static func checkSameOrigin(_ request: Request) throws {
        if let site = request.headers[.secFetchSite], site != "same-origin" && site != "none" {
            throw foreignWrite("Sec-Fetch-Site: \(site)")
        }
        if let origin = request.headers[.origin] {
            guard let authority = request.head.authority, isSameOrigin(origin, authority: authority) else {
                throw foreignWrite("Origin: \(origin)")
            }
        }
    }

    /// Whether `origin` (`scheme://host[:port]`) names the host and port of a `Host` value; a
    /// `Host` without a port means the scheme's default one, as browsers send it.
    static func isSameOrigin(_ origin: String, authority: String) -> Bool {
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound].lowercased()
        let originAuthority = String(origin[schemeEnd.upperBound...])
        guard !originAuthority.isEmpty, !originAuthority.contains("/") else { return false }
        let defaultPort = scheme == "https" ? "443" : scheme == "http" ? "80" : nil
        let originHost = OperatorAccessMiddleware.hostName(originAuthority)
        let host = OperatorAccessMiddleware.hostName(authority)
        return !host.isEmpty && originHost == host && (port(of: originAuthority) ?? defaultPort) == (port(of: authority) ?? defaultPort)
    }

    /// The port of `host:port` or `[v6]:port`; nil when none is written.
    static func port(of authority: String) -> String? {
        var rest = Substring(authority)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let port = rest[rest.index(after: colon)...]
        return port.isEmpty ? nil : String(port)
    }

    private static func foreignWrite(_ what: String) -> APIError {
        APIError(status: .forbidden, message: "The dashboard takes writes from its own pages only (\(what)).", code: "csrf_failed")
    }

    /// The fields of a urlencoded form body (the only writes the dashboard takes).
    static func form(of request: Request) async throws -> [String: String] {
        guard request.headers[.contentType].map({ ParameterizedHeader(parsing: $0).type }) == "application/x-www-form-urlencoded" else {
            throw APIError(
                status: .unsupportedMediaType,
                message: "Dashboard forms are sent as application/x-www-form-urlencoded.",
                code: "unsupported_media_type"
            )
        }
        let body = try await request.body.collect(upTo: maxFormBytes)
        return decodeForm(String(buffer: body))
    }

    static func decodeForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeComponent(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decodeComponent(parts[1]) : "" }
        }
        return fields
    }

    private static func decodeComponent(_ text: Substring) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    static func redirect(to location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.location] = location
        headers[.contentLength] = "0"
        return Response(status: .seeOther, headers: headers, body: ResponseBody())
    }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
