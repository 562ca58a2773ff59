import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Mustache
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import MockFiles

/// `/ui`: pages over the services, behind the admin API's access rule, every write a form with
/// the CSRF token, every value shown as text.
@Suite struct DashboardTests {
    static func page(
        _ client: any TestClientProtocol,
        _ uri: String,
        headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    static func form(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ fields: [String: String],
        headers extra: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body), $0.headers)
        }
    }

    /// The CSRF token a page's forms carry.
    static func csrf(in html: String) throws -> String {
        let marker = "name=\"csrf\" value=\""
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test func theFilesPageListsATenantsFilesNewestFirstPagedByTheAPICursor() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            var ids: [String] = []
            for index in 0..<105 {
                server.clock.advance(by: 1)
                let file = try await client.createFile(.createFile(filename: "n\(index).txt", contents: Array("\(index)".utf8)))
                ids.append(try #require(file["id"] as? String))
            }
            let (status, first, headers) = try await Self.page(client, "/ui/files?tenant=shared")
            #expect(status == .ok && headers[.contentType] == "text/html; charset=utf-8")
            #expect(headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(first.contains(ids[104]) && first.contains(ids[5]) && !first.contains(ids[4]), "newest 100 first")
            let next = try #require(first.range(of: "rel=\"next\" href=\"")).upperBound
            let link = String(first[next...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            #expect(link.hasSuffix("after=\(ids[5])"))
            let (_, second, _) = try await Self.page(client, link)
            #expect(ids[0..<5].allSatisfy(second.contains) && !second.contains(ids[5]) && !second.contains("rel=\"next\""))
        }
    }

    @Test func valuesAreShownAsTextNeverAsMarkup() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let file = try await client.createFile(.createFile(filename: "<img src=x onerror=alert(1)>.txt", contents: Array("<b>hi</b>".utf8)))
            let id = try #require(file["id"] as? String)
            let (_, list, _) = try await Self.page(client, "/ui/files")
            #expect(!list.contains("<img src=x") && list.contains("&lt;img src=x onerror=alert(1)&gt;.txt"))
            let (status, page, _) = try await Self.page(client, "/ui/files/\(id)?tenant=shared")
            #expect(status == .ok && !page.contains("<b>hi</b>") && page.contains("&lt;b&gt;hi&lt;/b&gt;"))
        }
    }

    @Test func deletingTakesTheCSRFTokenAndTheConfirmation() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile())["id"] as? String)
            let (_, page, _) = try await Self.page(client, "/ui/files/\(id)?tenant=shared")
            let csrf = try Self.csrf(in: page)
            let (forged, answer, _) = try await Self.form(client, "/ui/files/\(id)/delete", ["tenant": "shared", "confirm": "yes", "csrf": "0"])
            #expect(forged == .forbidden && answer.contains("csrf_failed"))
            let (json, _, _) = try await client.execute(
                uri: "/ui/files/\(id)/delete",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{}")
            ) { ($0.status, 0, 0) }
            #expect(json == .unsupportedMediaType)
            let (unconfirmed, _, _) = try await Self.form(client, "/ui/files/\(id)/delete", ["tenant": "shared", "csrf": csrf])
            let stillThere = try await client.getJSON("/v1/files/\(id)").0
            #expect(unconfirmed == .seeOther && stillThere == .ok)
            let (deleted, _, headers) = try await Self.form(client, "/ui/files/\(id)/delete", ["tenant": "shared", "confirm": "yes", "csrf": csrf])
            #expect(deleted == .seeOther && headers[.location]?.hasPrefix("/ui/files?tenant=shared&notice=") == true)
            #expect(try await client.getJSON("/v1/files/\(id)").0 == .notFound)
        }
    }

    @Test func theControlsGoThroughTheAdminAPIsRules() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let (_, page, _) = try await Self.page(client, "/ui/controls")
            let csrf = try Self.csrf(in: page)
            let (moved, _, _) = try await Self.form(client, "/ui/clock", ["advance_seconds": "3600", "csrf": csrf])
            #expect(moved == .seeOther && server.clock.seconds == 1_750_003_600)
            let (armed, _, _) = try await Self.form(client, "/ui/faults", ["path": "/v1/files", "status": "503", "times": "1", "csrf": csrf])
            #expect(armed == .seeOther)
            #expect(try await client.getJSON("/v1/files").0 == .serviceUnavailable)
            #expect(try await client.getJSON("/v1/files").0 == .ok)
            // The admin API's own refusal, in its own words.
            let (refused, answer, _) = try await Self.form(client, "/ui/faults", ["path": "/v1/files", "status": "200", "csrf": csrf])
            #expect(refused == .badRequest && answer.contains("status"), "\(answer)")
            let (_, controls, _) = try await Self.page(client, "/ui/controls")
            #expect(controls.contains("fault_1") && controls.contains(">1<"))
        }
    }

    /// Up to a thousand rules: the Controls page shows 50 at a time, with links to the rest.
    @Test func theControlsPagePagesTheFaultRules() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for index in 0..<120 {
                _ = try await server.server.controls.addFault { id in
                    try FaultRule(json: JSONBody(fields: ["path": "/v1/rule-\(index)", "status": 500]), id: id)
                }
            }
            let (_, first, _) = try await Self.page(client, "/ui/controls")
            #expect(first.contains("/v1/rule-0<") && first.contains("/v1/rule-49<") && !first.contains("/v1/rule-50<"))
            #expect(first.contains("Rules 1–50 of 120.") && first.contains("href=\"/ui/controls?rules_from=50\"") && !first.contains("rel=\"prev\""))
            let (_, last, _) = try await Self.page(client, "/ui/controls?rules_from=100")
            #expect(last.contains("/v1/rule-119<") && !last.contains("/v1/rule-99<") && last.contains("Rules 101–120 of 120."))
            #expect(last.contains("href=\"/ui/controls?rules_from=50\"") && !last.contains("rel=\"next\""))
            let (status, _, _) = try await Self.page(client, "/ui/controls?rules_from=99999")
            #expect(status == .ok)
        }
    }

    @Test func theRequestsPageAndItsFeedFilterAsTheAdminAPIDoes() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            _ = try await client.createFile(.createFile(filename: "<i>x</i>.txt"))
            _ = try await client.getJSON("/v1/files/file-<b>missing</b>")
            let (status, page, _) = try await Self.page(client, "/ui/requests?status=4xx")
            #expect(status == .ok && page.contains("→ 404") && !page.contains("POST /v1/files → 200"))
            #expect(!page.contains("<b>missing</b>") && page.contains("&lt;b&gt;missing&lt;/b&gt;"))
            let newest = try #require(page.range(of: "data-newest=\"")).upperBound
            let seq = try #require(Int(page[newest...].prefix { $0 != "\"" }))
            _ = try await client.getJSON("/v1/files/file-later")
            let (_, feed, headers) = try await Self.page(client, "/ui/requests/feed?status=4xx&after=\(seq)")
            let entries = try #require((try JSONSerialization.jsonObject(with: Data(feed.utf8)) as? [String: Any])?["data"] as? [[String: Any]])
            #expect(headers[.contentType] == "application/json" && entries.count == 1)
            #expect((entries.first?["summary"] as? String)?.contains("GET /v1/files/file-later → 404") == true)
            let (refused, _, _) = try await Self.page(client, "/ui/requests/feed?status=6xx")
            #expect(refused == .badRequest)
        }
    }

    @Test func theUploadsPageShowsEveryStatusWithItsPartsOrItsFile() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let open = try await client.createUpload(bytes: 10, filename: "open.bin")
            _ = try await client.addPart(open, Array("12345".utf8))
            let done = try await client.createUpload(bytes: 3, filename: "done.bin")
            let part = try #require(try await client.addPart(done, Array("abc".utf8)).1["id"] as? String)
            let (_, completed) = try await client.postJSON("/v1/uploads/\(done)/complete", ["part_ids": [part]])
            let fileID = try #require((completed["file"] as? [String: Any])?["id"] as? String)
            let cancelled = try await client.createUpload(bytes: 1, filename: "gone.bin")
            _ = try await client.postJSON("/v1/uploads/\(cancelled)/cancel", [String: Any]())
            let (status, page, _) = try await Self.page(client, "/ui/uploads?tenant=shared")
            #expect(status == .ok && [open, done, cancelled].allSatisfy(page.contains))
            #expect(page.contains("1 part, 5 bytes") && page.contains("href=\"/ui/files/\(fileID)?tenant=shared\""))
            #expect(page.contains(">pending<") && page.contains(">completed<") && page.contains(">cancelled<"))
        }
    }

    /// The Upload page's requests reach the API's own create and Uploads routes for the chosen
    /// tenant, with the page's CSRF token as a header; the API's rules answer as they do on /v1.
    @Test func theUploadPageSendsThroughTheAPIsOwnRoutes() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let (status, page, _) = try await Self.page(client, "/ui/upload?tenant=team%20a")
            #expect(status == .ok && page.contains("value=\"team a\"") && page.contains("data-part-bytes=\"67108864\""))
            let csrf = String(page[try #require(page.range(of: "data-csrf=\"")).upperBound...].prefix { $0 != "\"" })
            let form = MultipartBody.createFile(purpose: "user_data", filename: "page.txt", contents: Array("from the page".utf8))
            func post(_ uri: String, _ body: ByteBuffer, contentType: String, token: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
                var headers: HTTPFields = [.contentType: contentType]
                if let token { headers[.csrfToken] = token }
                return try await client.execute(uri: uri, method: .post, headers: headers, body: body) { ($0.status, jsonObject($0.body)) }
            }
            let body = ByteBuffer(bytes: form.finished())
            let (refused, error) = try await post("/ui/api/files?tenant=team%20a", body, contentType: form.contentType, token: nil)
            #expect(refused == .forbidden && (error["error"] as? [String: Any])?["code"] as? String == "csrf_failed")
            let (noTenant, _) = try await post("/ui/api/files", body, contentType: form.contentType, token: csrf)
            #expect(noTenant == .badRequest)
            let (created, file) = try await post("/ui/api/files?tenant=team%20a", body, contentType: form.contentType, token: csrf)
            let id = try #require(file["id"] as? String)
            #expect(created == .ok && file["filename"] as? String == "page.txt")
            #expect(try await server.service.retrieve(id: id, tenant: Tenant(key: "team a", organization: "org")).bytes == 13)
            let tooBig = ByteBuffer(string: #"{"filename":"x.jsonl","purpose":"batch","bytes":9999999999999,"mime_type":"text/jsonl"}"#)
            let (limited, refusal) = try await post("/ui/api/uploads?tenant=team%20a", tooBig, contentType: "application/json", token: csrf)
            #expect(
                limited == .badRequest && (refusal["error"] as? [String: Any])?["message"] as? String == "File is too large.",
                "the API's own limit"
            )
            let create = ByteBuffer(string: #"{"filename":"big.jsonl","purpose":"batch","bytes":6,"mime_type":"text/jsonl"}"#)
            let (_, upload) = try await post("/ui/api/uploads?tenant=team%20a", create, contentType: "application/json", token: csrf)
            let uploadID = try #require(upload["id"] as? String)
            var partIDs: [String] = []
            for chunk in ["{}\n", "{}\n"] {
                var part = MultipartBody()
                part.file("data", filename: "blob", contents: Array(chunk.utf8))
                let (_, made) = try await post(
                    "/ui/api/uploads/\(uploadID)/parts?tenant=team%20a",
                    ByteBuffer(bytes: part.finished()),
                    contentType: part.contentType,
                    token: csrf
                )
                partIDs.append(try #require(made["id"] as? String))
            }
            let complete = ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: ["part_ids": partIDs])))
            let (done, completed) = try await post(
                "/ui/api/uploads/\(uploadID)/complete?tenant=team%20a",
                complete,
                contentType: "application/json",
                token: csrf
            )
            #expect(done == .ok && (completed["file"] as? [String: Any])?["bytes"] as? Int == 6)
            let (_, shared) = try await client.getJSON("/v1/files")
            #expect((shared["data"] as? [Any])?.isEmpty == true, "the files went to the chosen tenant, not another")
        }
    }

    @Test func theFilesPageCountsEachPurposeAndFiltersByName() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            try await client.createFile(.createFile(filename: "train.jsonl", contents: Array("{}\n".utf8)))
            try await client.createFile(.createFile(filename: "Trainer.txt", contents: Array("12345".utf8)))
            try await client.createFile(.createFile(purpose: "vision", filename: "cat.png", contents: [0x89, 0x50]))
            let (_, page, _) = try await Self.page(client, "/ui/files?tenant=shared")
            #expect(page.contains("<td>user_data</td><td class=\"number\">2</td><td class=\"number\">8 bytes</td>"))
            #expect(page.contains("<td>vision</td><td class=\"number\">1</td><td class=\"number\">2 bytes</td>"))
            #expect(page.contains("<th scope=\"row\">all</th><td class=\"number\">3</td><td class=\"number\">10 bytes</td>"))
            let (_, filtered, _) = try await Self.page(client, "/ui/files?tenant=shared&name=TRAIN")
            #expect(filtered.contains("train.jsonl") && filtered.contains("Trainer.txt") && !filtered.contains("cat.png"))
            #expect(filtered.contains("value=\"TRAIN\""), "the filter stays in its field")
        }
    }

    @Test func withAnAdminTokenThePagesWantASignIn() async throws {
        let server = try TestServer { $0.adminToken = "s3cret-token" }
        defer { server.remove() }
        try await server.test { client in
            let (status, _, headers) = try await Self.page(client, "/ui/files")
            #expect(status == .seeOther && headers[.location] == "/ui/login")
            let (wrong, _, noCookie) = try await Self.form(client, "/ui/login", ["token": "guess"])
            #expect(wrong == .unauthorized && noCookie[.setCookie] == nil)
            let (right, _, signedIn) = try await Self.form(client, "/ui/login", ["token": "s3cret-token"])
            let cookie = try #require(signedIn[.setCookie])
            #expect(right == .seeOther && cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/ui") && !cookie.contains("s3cret-token"), "the cookie is no copy of the token")
            let session = String(cookie.prefix { $0 != ";" })
            #expect(session.count == "mockfiles_session=".count + 64, "256 random bits")
            #expect(try await Self.signIn(client, token: "s3cret-token").cookie != session, "every sign-in a session of its own")
            #expect(try await Self.page(client, "/ui/files", headers: [.cookie: session]).0 == .ok)
            #expect(try await Self.page(client, "/ui/files", headers: [.authorization: "Bearer s3cret-token"]).0 == .ok)
            #expect(try await Self.page(client, "/ui/files", headers: [.cookie: "mockfiles_session=forged"]).0 == .seeOther)
            let (write, _, _) = try await Self.form(client, "/ui/sweep", ["csrf": "0"])
            #expect(write == .unauthorized, "a write without a session is refused, not redirected")
            let (bearer, _, _) = try await Self.form(client, "/ui/sweep", [:], headers: [.authorization: "Bearer s3cret-token"])
            #expect(bearer == .seeOther, "no page can make a browser send the Bearer header, so it needs no CSRF token")
        }
    }

    /// The wall clock the dashboard's sessions and sign-in throttle read, moved by the test.
    final class WallClock: Sendable {
        private let time = NIOLockedValueBox(Date(timeIntervalSince1970: 1_750_000_000))
        var now: Date { time.withLockedValue { $0 } }
        func advance(by seconds: TimeInterval) { time.withLockedValue { $0 += seconds } }
    }

    /// Runs `body` against a server whose dashboard uses `sessions` (its wall clock the test's).
    static func test(
        _ server: TestServer,
        sessions: DashboardSessions,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = Application(router: buildRouter(server.server, dashboardSessions: sessions), configuration: .init())
        try await app.test(.router) { client in try await body(client) }
    }

    /// Signs in with `token`; the session's cookie (`name=value`) and the CSRF token its pages carry.
    static func signIn(_ client: any TestClientProtocol, token: String) async throws -> (cookie: String, csrf: String) {
        let (status, _, headers) = try await form(client, "/ui/login", ["token": token])
        #expect(status == .seeOther)
        let cookie = String(try #require(headers[.setCookie]).prefix { $0 != ";" })
        let (_, page, _) = try await Self.page(client, "/ui/controls", headers: [.cookie: cookie])
        return (cookie, try csrf(in: page))
    }

    /// The fault rules armed, as the admin API lists them.
    static func faultCount(_ client: any TestClientProtocol, token: String? = nil) async throws -> Int {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        return try await client.execute(uri: "/admin/faults", method: .get, headers: headers) { response in
            (jsonObject(response.body)["data"] as? [Any])?.count ?? -1
        }
    }

    @Test func signingOutEndsTheSessionForEveryCopyOfTheCookie() async throws {
        let server = try TestServer { $0.adminToken = "s3cret-token" }
        defer { server.remove() }
        try await server.test { client in
            let (cookie, csrf) = try await Self.signIn(client, token: "s3cret-token")
            let other = try await Self.signIn(client, token: "s3cret-token")
            let (out, _, headers) = try await Self.form(client, "/ui/logout", ["csrf": csrf], headers: [.cookie: cookie])
            #expect(out == .seeOther && headers[.location] == "/ui/login" && headers[.setCookie]?.contains("Max-Age=0") == true)
            let (page, _, back) = try await Self.page(client, "/ui/files", headers: [.cookie: cookie])
            #expect(page == .seeOther && back[.location] == "/ui/login", "the old cookie opens nothing")
            let (write, _, _) = try await Self.form(
                client,
                "/ui/faults",
                ["path": "/v1/files", "status": "503", "csrf": csrf],
                headers: [.cookie: cookie]
            )
            #expect(write == .unauthorized)
            #expect(try await Self.faultCount(client, token: "s3cret-token") == 0)
            #expect(try await Self.page(client, "/ui/files", headers: [.cookie: other.cookie]).0 == .ok, "another sign-in goes on")
        }
    }

    /// The issue's attack: a page on another port of localhost (the same site, so the cookie goes
    /// along) posting with a CSRF token it fetched from the login page.
    @Test func aCSRFTokenIsTheSessionsOwnAndTheLoginPageHandsOutNone() async throws {
        let server = try TestServer { $0.adminToken = "s3cret-token" }
        defer { server.remove() }
        try await server.test { client in
            let (_, login, _) = try await Self.page(client, "/ui/login")
            let marker = "name=\"csrf\" value=\""
            let offered = login.range(of: marker).map { String(login[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            #expect(offered.isEmpty, "the login page offers no token")
            let (cookie, csrf) = try await Self.signIn(client, token: "s3cret-token")
            let other = try await Self.signIn(client, token: "s3cret-token")
            let fault = ["path": "/v1/files", "status": "503"]
            for token in [offered, other.csrf, "0"] {
                var fields = fault
                fields["csrf"] = token
                let (forged, answer, _) = try await Self.form(client, "/ui/faults", fields, headers: [.cookie: cookie])
                #expect(forged == .forbidden && answer.contains("csrf_failed"), "\(token)")
            }
            #expect(try await Self.faultCount(client, token: "s3cret-token") == 0)
            var fields = fault
            fields["csrf"] = csrf
            #expect(try await Self.form(client, "/ui/faults", fields, headers: [.cookie: cookie]).0 == .seeOther)
            #expect(try await Self.faultCount(client, token: "s3cret-token") == 1)
        }
    }

    /// With a valid session and its token, a write still has to come from the dashboard's own
    /// origin (the router's test requests are for `localhost`), with a token and without one.
    @Test(arguments: [true, false]) func writesFromAnotherOriginAreRefused(withToken: Bool) async throws {
        let server = try TestServer { $0.adminToken = withToken ? "s3cret-token" : nil }
        defer { server.remove() }
        try await server.test { client in
            var session: HTTPFields = [:]
            let csrf: String
            if withToken {
                let signedIn = try await Self.signIn(client, token: "s3cret-token")
                session[.cookie] = signedIn.cookie
                csrf = signedIn.csrf
            } else {
                csrf = try Self.csrf(in: try await Self.page(client, "/ui/controls").1)
            }
            let foreign: [HTTPFields] = [
                [.origin: "http://localhost:3000"], [.origin: "http://localhost:8080"], [.origin: "https://evil.example"], [.origin: "null"],
                [.secFetchSite: "same-site"], [.secFetchSite: "cross-site"], [.origin: "http://localhost", .secFetchSite: "same-site"],
            ]
            for headers in foreign {
                var all = session
                all.append(contentsOf: headers)
                let (refused, answer, _) = try await Self.form(
                    client,
                    "/ui/faults",
                    ["path": "/v1/files", "status": "503", "csrf": csrf],
                    headers: all
                )
                #expect(refused == .forbidden, "\(headers)")
                #expect(answer.contains("csrf_failed") || answer.contains("admin_loopback_only"), "\(answer)")
                var upload = all
                upload[.csrfToken] = csrf
                upload[.contentType] = "application/json"
                let create = ByteBuffer(string: #"{"filename":"a.jsonl","purpose":"batch","bytes":6,"mime_type":"text/jsonl"}"#)
                let api = try await client.execute(uri: "/ui/api/uploads?tenant=shared", method: .post, headers: upload, body: create) { $0.status }
                #expect(api == .forbidden, "\(headers)")
            }
            #expect(try await Self.faultCount(client, token: withToken ? "s3cret-token" : nil) == 0)
            var own = session
            own[.origin] = "http://localhost"
            own[.secFetchSite] = "same-origin"
            #expect(try await Self.form(client, "/ui/faults", ["path": "/v1/files", "status": "503", "csrf": csrf], headers: own).0 == .seeOther)
        }
    }

    @Test func anOriginIsOursWhenItsHostAndPortAreTheHostHeaders() {
        let same = [
            ("http://localhost:8080", "localhost:8080"), ("https://LocalHost:8080", "localhost:8080"), ("http://localhost", "localhost"),
            ("http://localhost:80", "localhost"), ("https://mockfiles.example", "mockfiles.example"), ("http://[::1]:8080", "[::1]:8080"),
        ]
        for (origin, host) in same { #expect(DashboardAccessMiddleware.isSameOrigin(origin, authority: host), "\(origin) \(host)") }
        let other = [
            ("http://localhost:3000", "localhost:8080"), ("http://localhost:8080", "localhost"), ("http://localhost", "localhost:8080"),
            ("http://127.0.0.1:8080", "localhost:8080"), ("null", "localhost"), ("http://localhost:8080/x", "localhost:8080"),
            ("http://[::1]:3000", "[::1]:8080"), ("https://mockfiles.example", "mockfiles.example:8080"), ("http://", ""),
        ]
        for (origin, host) in other { #expect(!DashboardAccessMiddleware.isSameOrigin(origin, authority: host), "\(origin) \(host)") }
    }

    /// Twelve hours by the wall clock; the service clock, which tests move freely, counts for nothing.
    @Test func aSessionEndsAfterTwelveHours() async throws {
        let server = try TestServer { $0.adminToken = "s3cret-token" }
        defer { server.remove() }
        let clock = WallClock()
        let sessions = DashboardSessions(signInRequired: true, now: { clock.now })
        try await Self.test(server, sessions: sessions) { client in
            let (cookie, csrf) = try await Self.signIn(client, token: "s3cret-token")
            server.clock.advance(by: 48 * 3600)
            clock.advance(by: 12 * 3600 - 1)
            #expect(try await Self.page(client, "/ui/files", headers: [.cookie: cookie]).0 == .ok)
            clock.advance(by: 1)
            let (expired, _, headers) = try await Self.page(client, "/ui/files", headers: [.cookie: cookie])
            #expect(expired == .seeOther && headers[.location] == "/ui/login")
            #expect(try await Self.form(client, "/ui/sweep", ["csrf": csrf], headers: [.cookie: cookie]).0 == .unauthorized)
        }
    }

    @Test func theSixthWrongTokenWithinAMinuteIsThrottledAndSoIsTheRightOne() async throws {
        let server = try TestServer { $0.adminToken = "s3cret-token" }
        defer { server.remove() }
        let clock = WallClock()
        let sessions = DashboardSessions(signInRequired: true, now: { clock.now })
        try await Self.test(server, sessions: sessions) { client in
            for _ in 0..<5 {
                #expect(try await Self.form(client, "/ui/login", ["token": "guess"]).0 == .unauthorized)
                clock.advance(by: 5)
            }
            let (sixth, page, headers) = try await Self.form(client, "/ui/login", ["token": "guess"])
            #expect(sixth == .tooManyRequests && headers[.retryAfter] == "35" && page.contains("Too many wrong tokens"), "\(page)")
            let (right, _, noCookie) = try await Self.form(client, "/ui/login", ["token": "s3cret-token"])
            #expect(right == .tooManyRequests && noCookie[.setCookie] == nil, "the right token waits too")
            clock.advance(by: 35)
            let (after, _, signedIn) = try await Self.form(client, "/ui/login", ["token": "s3cret-token"])
            #expect(after == .seeOther && signedIn[.setCookie] != nil, "the window has passed")
        }
    }

    @Test func liveSessionsAndThrottledPeersAreBounded() {
        let clock = WallClock()
        let sessions = DashboardSessions(signInRequired: true, capacity: 3, throttle: .init(failures: 1, window: 60, peers: 2), now: { clock.now })
        var cookies: [String] = []
        for _ in 0..<4 {
            cookies.append(sessions.open())
            clock.advance(by: 1)
        }
        #expect(sessions.session(cookie: cookies[0]) == nil && cookies[1...].allSatisfy { sessions.session(cookie: $0) != nil }, "the oldest dropped")
        for peer in ["a", "b", "c"] {
            sessions.signIns.recordFailure(peer: peer)
            clock.advance(by: 1)
        }
        #expect(sessions.signIns.retryAfter(peer: "a") == nil && sessions.signIns.retryAfter(peer: "c") == 59)
    }

    @Test func withoutATokenPagesOfOtherOriginsGetNothing() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            // The same rule as /admin (`OperatorAccessMiddleware.checkLoopbackClient`, host names tested there).
            let foreign = try await Self.page(client, "/ui/files", headers: [.origin: "https://evil.example"]).0
            let own = try await Self.page(client, "/ui/files", headers: [.origin: "http://localhost:8080"]).0
            #expect(foreign == .forbidden && own == .ok)
        }
    }
}

/// The File page's preview, on bytes alone.
@Suite struct FilePreviewTests {
    /// The Files page's hand-written rows escape exactly as the templates do.
    @Test(arguments: ["plain.txt", "<img src=x onerror='a'>&\"", "é\u{301} 🧪 <b>", "", "a&amp;b", "'\"<>&"])
    func rowsAreEscapedAsTheTemplatesEscape(_ text: String) throws {
        var library = MustacheLibrary()
        try library.register("{{value}}", named: "value")
        #expect(HTMLText.escaped(text) == library.render(["value": text], withTemplate: "value"))
    }

    @Test func jsonlIsPrettyPrintedLineByLineAndTheFirstBadLinePointedOut() {
        let preview = FilePreview.of(filename: "batch.jsonl", head: Array("{\"b\":1,\"a\":[2]}\nnot json\n{oops\n".utf8))
        guard case .lines(let lines) = preview else {
            Issue.record("\(preview)")
            return
        }
        #expect(lines.map(\.invalid) == [nil, "line 2 is not valid JSON", nil])
        #expect(lines[0].text.contains("\"a\" : [") && lines[2].text == "{oops")
    }

    @Test func imagesByNameAndBytesTheRestAsHex() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
        #expect(FilePreview.of(filename: "a.PNG", head: png) == .image)
        guard case .hex(let dump) = FilePreview.of(filename: "a.txt", head: png) else {
            Issue.record("not hex")
            return
        }
        #expect(dump == "00000000  89 50 4e 47 0d 0a 1a 0a 00 00" + String(repeating: " ", count: 18) + "  |.PNG......|")
        #expect(FilePreview.of(filename: "a.png", head: Array("text".utf8)) == .lines([.init(text: "text")]))
    }

    @Test func textCutInsideACharacterIsStillText() {
        let bytes = Array("héllo".utf8)
        #expect(FilePreview.of(filename: "a.txt", head: Array(bytes.prefix(2))) == .lines([.init(text: "h")]))
    }
}
