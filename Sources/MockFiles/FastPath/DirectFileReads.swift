import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// The reads suites make most, `GET /v1/files/{id}` and `GET /v1/files`, answered on the
/// connection's event loop (`DirectReadHandler`) instead of in Hummingbird's request loop, whose
/// tasks, executor hops and middleware chain cost most of such a request's CPU (bench/README,
/// rows 1-2). Only the plain case is answered here: an embedded store, a GET with no body, no
/// request rule that declines it (a fault rule in force, an `Origin`, …), a page of at most
/// `largestPage`, and an answer of 200. Everything else, errors included, returns nil before
/// anything is recorded, and Hummingbird answers it as if this type did not exist.
///
/// The per-request rules are the router's middleware, from the same list (`RequestRules`), run
/// in the same order: each rule's `RequestRule` side says what it does to a direct answer.
/// RequestRulesTests compares the two paths' answers, log entries and metrics for every rule.
struct DirectFileReads: Sendable {
    /// What a request head asks for, when it is one this type may answer.
    enum Read {
        case file(id: String)
        case page(URI)
    }

    /// Larger pages go to the router: a read on the event loop holds up the loop's other
    /// connections, so it must stay short, and a page takes longer the more files it holds
    /// (bench/README.md, "Figures behind code comments").
    static let largestPage = 100

    /// `Context.endpointPath` of the two routes, the label the metrics carry.
    static let fileRoute = "/v1/files/{id}"
    static let pageRoute = "/v1/files"

    let files: FilesController
    /// The store's reader for each event loop; `answer` reads through the caller's.
    let readers: EventLoopReaders
    let metrics: ServerMetrics
    let rules: RequestRules

    /// Present when the store reads at once and the controls are this instance's own.
    init?(_ server: MockFilesServer) {
        guard let store = server.fileService.store.immediateReads else { return nil }
        readers = EventLoopReaders(store: store)
        files = FilesController(service: server.fileService)
        metrics = server.metrics
        rules = RequestRules(server)
    }

    /// Headers of a request that is more than a plain GET: a body, an upgrade.
    static let beyondPlainGet: [HTTPField.Name] = [.upgrade, .contentLength, .transferEncoding]

    /// The read a request head asks for, or nil when Hummingbird must answer it.
    func read(of head: HTTPRequest) -> Read? {
        guard head.method == .get, let path = head.path, path.utf8.starts(with: "/v1/files".utf8),
            !Self.beyondPlainGet.contains(where: { head.headerFields[$0] != nil }),
            Self.keepsConnection(head.headerFields[values: .connection]),
            !rules.all.contains(where: { $0.declinesDirectRead(head) })
        else { return nil }
        let rest = path.utf8.dropFirst("/v1/files".utf8.count)
        switch rest.first {
        case nil, UInt8(ascii: "?"):
            return .page(URI(path))
        case UInt8(ascii: "/"):
            let id = rest.dropFirst()
            guard ServerID.isWellFormed(id) else { return nil }  // any other id is left to the router
            return .file(id: String(Substring(id)))
        default:
            return nil
        }
    }

    /// The answer, read from `store` (the event loop's reader), or nil when it would not be a
    /// plain 200 (Hummingbird then answers instead). The rules run as the router's middleware
    /// would: in, outermost first; out, innermost first; then each records what it does.
    func answer(_ head: HTTPRequest, _ read: Read, from store: any ImmediateFileReads) -> (HTTPResponse, ByteBuffer)? {
        var answer = DirectAnswer(head: head)
        for rule in rules.answering {
            guard rule.beginDirectRead(&answer) else { return nil }
        }
        guard let tenant = answer.tenant, self.read(read, for: tenant, from: store, into: &answer) else { return nil }
        for rule in rules.answering.reversed() {
            guard rule.stampDirectAnswer(&answer) else { return nil }
        }
        // Last, as Hummingbird adds it to every answer of its own.
        answer.headers[.date] = HTTPDate.now
        metrics.recordDirectAnswer()
        for rule in rules.answering.reversed() {
            rule.recordDirectAnswer(answer)
        }
        return (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
    }

    /// What the route's handler does: the object or page, as a JSON body; false when it would
    /// not be a 200.
    private func read(_ read: Read, for tenant: Tenant, from store: any ImmediateFileReads, into answer: inout DirectAnswer) -> Bool {
        switch read {
        case .file(let id):
            guard let file = try? files.service.retrieve(id: id, tenant: tenant, from: store) else { return false }
            answer.body = files.fileObject(file).jsonBody()
            answer.annotations.objectID = id  // what the request log would find in the path, without the walk
            (answer.route, answer.path) = (Self.fileRoute, answer.head.path ?? "")
        case .page(let uri):
            guard let parameters = try? FilesController.listParameters(uri), parameters.limit <= Self.largestPage,
                let page = try? files.service.list(parameters, tenant: tenant, from: store)
            else { return false }
            answer.body = files.pageObject(page).jsonBody()
            (answer.route, answer.path) = (Self.pageRoute, uri.path)
        }
        answer.headers = JSONResponse.headers(of: answer.body)
        return true
    }

    /// No `Connection` header, or only `keep-alive` (what most HTTP clients send): any other
    /// connection option is left to the router's path.
    static func keepsConnection(_ values: [String]) -> Bool {
        values.allSatisfy { $0.trimmingCharacters(in: .whitespaces).lowercased() == "keep-alive" }
    }
}
