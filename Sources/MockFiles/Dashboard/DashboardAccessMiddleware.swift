import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/ui` behind the admin API's rule: with an admin token, a session cookie from the login form (or
/// the token as a Bearer header); without one, loopback clients on a loopback host name and no
/// foreign `Origin`. Every write carries the CSRF token, so a page of another site cannot make one
/// even where the cookie would be sent: pages' forms as a field, the Upload page's requests to
/// `/ui/api` as an `X-CSRF-Token` header (their bodies are the API's own multipart and JSON).
struct DashboardAccessMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Where a write carries its CSRF token: the pages' forms, or the header of `/ui/api`.
    enum CSRFCarrier { case formField, header }

    let operatorAccess: OperatorAccessMiddleware
    let keys: DashboardKeys
    var csrfCarrier = CSRFCarrier.formField
    /// Forms are a few fields; anything longer is refused before it is read further.
    static let maxFormBytes = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let isLogin = request.uri.path == "/ui/login"
        if operatorAccess.token != nil {
            let cookie = DashboardKeys.sessionCookie(in: request.headers[.cookie])
            var signedIn = operatorAccess.presentsToken(request)
            if let cookie, let session = keys.session { signedIn = signedIn || OperatorAccessMiddleware.equalInConstantTime(cookie, session) }
            if !signedIn && !isLogin {
                guard request.method == .get || request.method == .head else {
                    throw APIError(status: .unauthorized, message: "Sign in to the dashboard first.", code: "invalid_admin_token")
                }
                return Self.redirect(to: "/ui/login")
            }
        } else {
            try operatorAccess.checkLoopbackClient(request, context: context)
        }
        if request.method == .post {
            switch csrfCarrier {
            case .header:
                try checkCSRF(request.headers[.csrfToken])
            case .formField:
                let form = try await Self.form(of: request)
                try checkCSRF(form["csrf"])
                context.form = form
            }
        }
        return try await next(request, context)
    }

    private func checkCSRF(_ presented: String?) throws {
        guard let presented, OperatorAccessMiddleware.equalInConstantTime(presented, keys.csrf) else {
            throw APIError(status: .forbidden, message: "The form's CSRF token is missing or stale; reload the page.", code: "csrf_failed")
        }
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
}
