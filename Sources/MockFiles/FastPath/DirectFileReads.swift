import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// The reads suites make most, `GET /v1/files/{id}` and `GET /v1/files`, answered by the
/// connection's handler (`DirectReadHandler`) on its event loop instead of in Hummingbird's
/// request loop, whose tasks, executor hops and middleware chain cost most of such a request's
/// CPU (bench/README, rows 1-2). An embedded store is read at once (`answer`); a shared one
/// (PostgreSQL) through the loop's own connection, with a future the handler waits for
/// (`answerOnLoop`, DirectFileReads+Shared.swift). Only the plain case is answered here: a GET
/// with no body, no request rule that declines it (a fault rule in force, an `Origin`, …), a page
/// of at most `largestPage`, and an answer of 200. Everything else, errors included, returns nil
/// before anything is recorded, and Hummingbird answers it as if this type did not exist.
///
/// The per-request rules are the router's middleware, from the same list (`RequestRules`), run
/// in the same order: each rule's `RequestRule` side says what it does to a direct answer.
/// RequestRulesTests compares the two paths' answers, log entries and metrics for every rule.
struct DirectFileReads: Sendable {
    /// What a request head asks for, when it is one this type may answer.
    enum Read: Sendable {
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
    /// The store's reader for each event loop, when it reads at once; `answer` reads through the
    /// caller's. Nil for a shared store.
    let readers: EventLoopReaders?
    /// Each event loop's connection to a shared store, read by `answerOnLoop`; nil for an embedded one.
    let loopConnections: PostgresLoopConnections?
    let controls: TestControls
    let metrics: ServerMetrics
    let rules: RequestRules

    /// Present for an embedded store, which reads at once, and for a shared one whose controls
    /// are shared too (its reads then check the controls' generation, `answerOnLoop`).
    init?(_ server: MockFilesServer) {
        if let store = server.fileService.store.immediateReads {
            (readers, loopConnections) = (EventLoopReaders(store: store), nil)
        } else if let connections = server.storage.loopConnections, server.controls.shared != nil {
            (readers, loopConnections) = (nil, connections)
        } else {
            return nil
        }
        files = FilesController(service: server.fileService)
        controls = server.controls
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
        guard var answer = begin(head), let tenant = answer.tenant,
            let body = try? self.body(of: read, for: tenant, from: store, into: &answer)
        else { return nil }
        guard finish(&answer, body: body) else { return nil }
        for rule in rules.answering.reversed() {
            rule.recordDirectAnswer(answer)
        }
        return (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
    }

    /// The rules on the way in, outermost first; nil when one leaves the request to the router.
    func begin(_ head: HTTPRequest) -> DirectAnswer? {
        var answer = DirectAnswer(head: head)
        for rule in rules.answering {
            guard rule.beginDirectRead(&answer) else { return nil }
        }
        return answer
    }

    /// The body as the answer, then the rules on the way out, innermost first; false when one
    /// leaves the request to the router.
    func finish(_ answer: inout DirectAnswer, body: ByteBuffer) -> Bool {
        answer.body = body
        answer.headers = JSONResponse.headers(of: body)
        for rule in rules.answering.reversed() {
            guard rule.stampDirectAnswer(&answer) else { return false }
        }
        // Last, as Hummingbird adds it to every answer of its own.
        answer.headers[.date] = HTTPDate.now
        metrics.recordDirectAnswer()
        return true
    }

    /// What the route's handler does: the object or page, as a JSON body; throws when it would
    /// not be a 200.
    private func body(of read: Read, for tenant: Tenant, from store: any ImmediateFileReads, into answer: inout DirectAnswer) throws -> ByteBuffer {
        label(&answer, read)
        switch read {
        case .file(let id):
            return files.fileObject(try files.service.retrieve(id: id, tenant: tenant, from: store)).jsonBody()
        case .page(let uri):
            return files.pageObject(try files.service.list(try pageParameters(uri), tenant: tenant, from: store)).jsonBody()
        }
    }

    /// The route (the metrics' label), the path (the request log's) and the object id (what the
    /// request log would find in the path, without the walk).
    func label(_ answer: inout DirectAnswer, _ read: Read) {
        switch read {
        case .file(let id):
            answer.annotations.objectID = id
            (answer.route, answer.path) = (Self.fileRoute, answer.head.path ?? "")
        case .page(let uri):
            (answer.route, answer.path) = (Self.pageRoute, uri.path)
        }
    }

    /// A page's parameters; throws for a bad one or one larger than `largestPage`.
    func pageParameters(_ uri: URI) throws -> FileListParameters {
        let parameters = try FilesController.listParameters(uri)
        guard parameters.limit <= Self.largestPage else { throw NotADirectRead() }
        return parameters
    }

    /// A read the router must answer after all.
    struct NotADirectRead: Error {}

    /// No `Connection` header, or only `keep-alive` (what most HTTP clients send): any other
    /// connection option is left to the router's path.
    static func keepsConnection(_ values: [String]) -> Bool {
        values.allSatisfy { $0.trimmingCharacters(in: .whitespaces).lowercased() == "keep-alive" }
    }
}
