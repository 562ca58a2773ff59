import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/ui`: pages over the same services the API and the admin API use, so the dashboard changes
/// nothing by a way that skips their rules. Every write is a form (checked for its CSRF token by
/// `DashboardAccessMiddleware`) answered with a redirect to the page it came from.
struct DashboardController {
    /// The services it shows and changes: the API's and the admin API's own, never a controller.
    let files: FileService
    let uploads: UploadService
    let batches: BatchService
    let controls: TestControls
    let sweeper: ExpirySweeper
    let sessions: DashboardSessions
    let views: DashboardViews
    let settings: ServerSettings

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get { _, _ in DashboardAccessMiddleware.redirect(to: "/ui/files") }
        group.get("login", use: loginPage)
        group.post("login", use: login)
        group.post("logout", use: logout)
        group.get("assets/dashboard.css") { _, _ in Self.asset(DashboardViews.stylesheet, contentType: "text/css; charset=utf-8") }
        group.get("assets/dashboard.js") { _, _ in Self.asset(DashboardViews.script, contentType: "text/javascript; charset=utf-8") }
        group.get("files", use: filesPage)
        group.get("files/{id}", use: filePage)
        group.get("files/{id}/content", use: fileContent)
        group.post("files/{id}/delete", use: deleteFile)
        group.get("upload", use: uploadPage)
        group.get("uploads", use: uploadsPage)
        group.get("batches", use: batchesPage)
        group.get("batches/{id}", use: batchPage)
        group.post("batches/{id}/cancel", use: cancelBatch)
        group.get("requests", use: requestsPage)
        group.get("requests/feed", use: requestsFeed)
        group.get("controls", use: controlsPage)
        group.post("clock", use: changeClock)
        group.post("faults", use: addFault)
        group.post("faults/{id}/delete", use: removeFault)
        group.post("batch-rules", use: addBatchRule)
        group.post("batch-rules/clear", use: removeAllBatchRules)
        group.post("batch-rules/{id}/delete", use: removeBatchRule)
        group.post("sweep", use: sweep)
        group.post("reset", use: reset)
    }

    func loginPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard sessions.signInRequired else { return DashboardAccessMiddleware.redirect(to: "/ui/files") }
        return page("login", [:], for: request)
    }

    /// A right token opens a session, unless the peer is throttled: then even the right token
    /// waits, or guessing would go on and only its hits would be told apart.
    func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let token = settings.adminToken else { return DashboardAccessMiddleware.redirect(to: "/ui/files") }
        let peer = context.channel?.remoteAddress?.ipAddress ?? "local"
        if let wait = sessions.signIns.retryAfter(peer: peer) {
            var response = page("login", ["throttled": true, "wait": wait], for: request, status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard let presented = context.form["token"], OperatorAccessMiddleware.equalInConstantTime(presented, token) else {
            sessions.signIns.recordFailure(peer: peer)
            return page("login", ["failed": true], for: request, status: .unauthorized)
        }
        sessions.signIns.recordSuccess(peer: peer)
        if let old = DashboardSessions.cookie(in: request.headers[.cookie]) { sessions.close(cookie: old) }
        return DashboardAccessMiddleware.redirect(to: "/ui/files", headers: [.setCookie: DashboardSessions.setCookie(sessions.open())])
    }

    /// Closes the session, so its cookie opens nothing even where a copy of it survives.
    func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let cookie = DashboardSessions.cookie(in: request.headers[.cookie]) { sessions.close(cookie: cookie) }
        return DashboardAccessMiddleware.redirect(to: "/ui/login", headers: [.setCookie: DashboardSessions.clearCookie])
    }

    /// A page as HTML, its forms carrying the request's CSRF token.
    func page(_ name: String, _ values: [String: Any], for request: Request, status: HTTPResponse.Status = .ok) -> Response {
        let session = sessions.signInRequired ? sessions.session(of: request) : nil
        let csrf = sessions.signInRequired ? session?.csrf : sessions.loopbackCSRF
        return views.page(name, values, csrf: csrf ?? "", signedIn: session != nil, status: status)
    }

    static func asset(_ bytes: ByteBuffer, contentType: String) -> Response {
        Response(status: .ok, headers: DashboardViews.headers(contentType: contentType), body: .init(byteBuffer: bytes))
    }

    /// The page to go back to after a write, with a line saying what happened.
    static func back(to path: String, notice: String) -> Response {
        DashboardAccessMiddleware.redirect(to: path + (path.contains("?") ? "&" : "?") + "notice=" + percentEncoded(notice))
    }

    /// The tenant a page shows (`?tenant=`, else the first that has files) and those to pick from.
    func tenantChoice(_ request: Request) async throws -> (tenant: String, tenants: [String]) {
        let tenants = try await files.store.reads.tenants(limit: 1000)
        let asked = request.uri.queryParameters["tenant"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        return (asked ?? tenants.first ?? "shared", tenants)
    }

    /// A form field as a number; nil when empty.
    static func number(_ form: [String: String], _ name: String) throws -> Double? {
        guard let text = form[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw APIError.invalid("Invalid value for '\(name)': expected a number.", param: name)
        }
        return value
    }

    /// A form field as a whole number within the admin API's ranges; nil when empty.
    static func integer(_ form: [String: String], _ name: String) throws -> Int? {
        guard let value = try number(form, name) else { return nil }
        guard value == value.rounded(), abs(value) <= Double(1 << 40) else {
            throw APIError.invalid("Invalid value for '\(name)': expected a whole number.", param: name)
        }
        return Int(value)
    }

    /// RFC 3986's unreserved characters, built once rather than on every call: each page encodes
    /// several values for its links (bench/README.md, "Figures behind code comments").
    static let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
