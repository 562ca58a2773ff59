import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Writes one log line per request, and records every `/v1` request in the bounded request log
/// that tests read.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let controls: TestControls
    /// Timestamps follow the service clock, like everything else a test can move.
    let clock: ServiceClock
    /// Tags every entry, so a log several instances share tells them apart.
    let instance: String
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let entry = finish(
            method: request.method,
            path: request.uri.path,
            requestHeaders: request.headers,
            status: response.status,
            bytesOut: response.body.contentLength,
            requestID: response.headers[.xRequestID] ?? context.requestID,
            notes: context.annotations.notes,
            since: started
        )
        if let entry {
            do {
                try await controls.recordRequest(entry)
            } catch {
                // The answer is made: a log that cannot be written must not take it back.
                logger.error("request log write failed", metadata: ["error": "\(error)"])
            }
        }
        if context.annotations.dropsConnection { try? await context.channel?.close() }
        return response
    }

    /// Writes the request's log line and returns its entry when it belongs in the request log
    /// (the caller records it). Also the rule of `DirectFileReads`.
    func finish(
        method: HTTPRequest.Method,
        path: String,
        requestHeaders: HTTPFields,
        status: HTTPResponse.Status,
        bytesOut: Int?,
        requestID: String,
        notes: RequestAnnotations.Notes,
        since started: ContinuousClock.Instant
    ) -> RequestLogEntry? {
        let elapsed = ContinuousClock.now - started
        let entry = RequestLogEntry(
            requestID: requestID,
            instance: instance,
            method: method.rawValue,
            path: path,
            status: Int(status.code),
            tenant: notes.tenant,
            apiKeyHint: notes.apiKeyHint,
            objectID: notes.objectID ?? Self.objectID(inPath: path),
            contentType: requestHeaders[.contentType],
            multipartFields: notes.multipartFields,
            error: notes.error,
            bytesIn: requestHeaders[.contentLength].flatMap(Int64.init),
            bytesOut: bytesOut.map(Int64.init),
            durationMilliseconds: elapsed.inMilliseconds,
            timestamp: clock.now
        )
        // Health checks and scrapes come every few seconds from machines; they would drown the rest.
        let level: Logger.Level = path == "/health" || path == "/metrics" ? .debug : .info
        logger.log(level: level, "request", metadata: entry.logMetadata)
        // The log is of API calls only: health checks, scrapes and unknown routes would crowd them out.
        return path == "/v1" || path.hasPrefix("/v1/") ? entry : nil
    }

    /// The first `file-…`, `upload_…` or `batch_…` segment of the path, if any. Walked in place: every
    /// request asks, and splitting the path into an array would allocate for each
    /// (bench/README.md, "Figures behind code comments").
    static func objectID(inPath path: String) -> String? {
        let bytes = path.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            let segment = path[start..<end]
            if segment.hasPrefix("file-") || segment.hasPrefix("upload_") || segment.hasPrefix("batch_") { return String(segment) }
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return nil
    }
}

extension RequestLogMiddleware: RequestRule {
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool { true }
    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool { true }

    /// Records this instance's own log at once. A shared log is written through the database:
    /// the direct read waits for `recordSharedDirectAnswer` before it answers.
    func recordDirectAnswer(_ answer: DirectAnswer) {
        guard controls.shared == nil, let entry = entry(of: answer) else { return }
        controls.recordRequestLocally(entry)
    }

    /// Writes a direct answer's entry to the shared log through the event loop's connection; the
    /// answer is sent once it has committed, as the router's is (an answered request is in the
    /// log every instance reads). A write that fails is logged and the answer sent all the same,
    /// as in `handle`.
    func recordSharedDirectAnswer(_ answer: DirectAnswer, through connection: PostgresLoopConnection) -> EventLoopFuture<Void> {
        guard let entry = entry(of: answer) else { return connection.eventLoop.makeSucceededVoidFuture() }
        return connection.appendRequest(entry.storedText).recover { [logger] error in
            logger.error("request log write failed", metadata: ["error": "\(PostgresLocation.describe(error))"])
        }
    }

    private func entry(of answer: DirectAnswer) -> RequestLogEntry? {
        finish(
            method: answer.head.method,
            path: answer.path,
            requestHeaders: answer.head.headerFields,
            status: answer.status,
            bytesOut: answer.body.readableBytes,
            requestID: answer.requestID,
            notes: answer.annotations.notes,
            since: answer.started
        )
    }
}
