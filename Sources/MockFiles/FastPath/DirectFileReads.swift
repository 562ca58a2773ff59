import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// The reads suites make most, `GET /v1/files/{id}` and `GET /v1/files`, answered on the
/// connection's event loop (`DirectReadHandler`) instead of in Hummingbird's request loop, whose
/// tasks, executor hops and middleware chain cost most of such a request's CPU (bench/README,
/// rows 1-2). Only the plain case is answered here: an embedded store, no fault rule in force, no
/// CORS, no body, a page of at most `largestPage`, and an answer of 200. Everything else, errors included, returns nil before
/// anything is recorded, and Hummingbird answers it as if this type did not exist.
///
/// The request rules are the middleware's own functions, called in the order the middleware
/// apply them: `AuthMiddleware.tenant`, `GzipMiddleware.compresses`, `AuthMiddleware.stamp`,
/// `OpenAIHeadersMiddleware.stamp`, `RequestLogMiddleware.finish` and the metrics. The acceptance
/// suite checks that both paths give the same headers, log entries and metrics.
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
    let controls: TestControls
    let metrics: ServerMetrics
    let requestLog: RequestLogMiddleware
    let resolver: TenantResolver
    let defaultScope: DefaultScope
    /// `corsAllowedOrigins` is `*`: Files answers carry the CORS headers unasked (`CORSMiddleware`).
    let corsOpenToAll: Bool
    let gzipMinimumBytes: Int

    /// Present when the store reads at once and the controls are this instance's own.
    init?(_ server: MockFilesServer) {
        guard let store = server.storage.metadata as? any ImmediateFileReads, !server.storage.isShared else { return nil }
        readers = EventLoopReaders(store: store)
        files = FilesController(service: server.fileService)
        controls = server.controls
        metrics = server.metrics
        requestLog = RequestLogMiddleware(
            controls: server.controls,
            clock: server.clock,
            instance: server.settings.instanceName,
            logger: server.logger
        )
        resolver = server.settings.tenantResolver
        defaultScope = server.settings.defaultScope
        corsOpenToAll = server.settings.corsAllowedOrigins.contains("*")
        gzipMinimumBytes = server.settings.gzipMinimumBytes
    }

    /// Headers that bring in a rule this type does not apply: CORS, an upgrade, a body.
    static let declinedHeaders: [HTTPField.Name] = [.origin, .upgrade, .contentLength, .transferEncoding, .contentEncoding, .expect]

    /// The read a request head asks for, or nil when Hummingbird must answer it.
    func read(of head: HTTPRequest) -> Read? {
        guard head.method == .get, let path = head.path, path.utf8.starts(with: "/v1/files".utf8),
            controls.answersLocallyWithoutFaults,
            !Self.declinedHeaders.contains(where: { head.headerFields[$0] != nil }),
            Self.keepsConnection(head.headerFields[values: .connection])
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
    /// plain 200 (Hummingbird then answers instead).
    func answer(_ head: HTTPRequest, _ read: Read, from store: any ImmediateFileReads) -> (HTTPResponse, ByteBuffer)? {
        let started = ContinuousClock.now
        let annotations = RequestAnnotations()
        guard let tenant = try? AuthMiddleware.tenant(of: head.headerFields, resolver: resolver, annotations: annotations) else { return nil }
        var body: ByteBuffer
        let route: String
        let path: String
        switch read {
        case .file(let id):
            guard let file = try? files.service.retrieve(id: id, tenant: tenant, from: store) else { return nil }
            body = files.fileObject(file).jsonBody()
            annotations.objectID = id  // what the request log would find in the path, without the walk
            (route, path) = (Self.fileRoute, head.path ?? "")
        case .page(let uri):
            guard let parameters = try? FilesController.listParameters(uri), parameters.limit <= Self.largestPage,
                let page = try? files.service.list(parameters, tenant: tenant, from: store)
            else { return nil }
            body = files.pageObject(page).jsonBody()
            (route, path) = (Self.pageRoute, uri.path)
        }
        var headers = JSONResponse.headers(of: body)
        let acceptEncoding = head.headerFields[.acceptEncoding]
        if GzipMiddleware.compresses(headers, length: body.readableBytes, acceptEncoding: acceptEncoding, minimumBytes: gzipMinimumBytes) {
            guard let compressed = try? GzipMiddleware.compressHere(body, headers: &headers) else { return nil }
            body = compressed
        }
        // In the router's order (Auth, CORS, OpenAI headers), so both paths answer the same bytes.
        AuthMiddleware.stamp(tenant, on: &headers)
        if corsOpenToAll { CORSMiddleware.stampUnasked(&headers) }
        let requestID = OpenAIHeadersMiddleware.makeRequestID()
        OpenAIHeadersMiddleware.stamp(&headers, requestID: requestID, since: started, scope: defaultScope)
        // Last, as Hummingbird adds it to every answer of its own.
        headers[.date] = HTTPDate.now
        metrics.recordDirectAnswer()
        metrics.recordRequest(
            route: route,
            method: head.method.rawValue,
            status: 200,
            duration: ContinuousClock.now - started,
            bytesIn: nil,
            bytesOut: Int64(body.readableBytes)
        )
        let entry = requestLog.finish(
            method: head.method,
            path: path,
            requestHeaders: head.headerFields,
            status: .ok,
            bytesOut: body.readableBytes,
            requestID: requestID,
            notes: annotations.notes,
            since: started
        )
        if let entry { controls.recordRequestLocally(entry) }
        return (HTTPResponse(status: .ok, headerFields: headers), body)
    }

    /// No `Connection` header, or only `keep-alive` (what most HTTP clients send): any other
    /// connection option is left to the router's path.
    static func keepsConnection(_ values: [String]) -> Bool {
        values.allSatisfy { $0.trimmingCharacters(in: .whitespaces).lowercased() == "keep-alive" }
    }
}
