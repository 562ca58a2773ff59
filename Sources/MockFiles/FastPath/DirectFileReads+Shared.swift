import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore

extension DirectFileReads {
    /// The generation of this instance's copy of the shared controls (clock, fault rules). Taken
    /// when a request's head arrives, before any rule looks at the controls, and handed to
    /// `answerOnLoop`: a change that any instance made before then shows as a newer generation in
    /// the read's own statement.
    var controlsGeneration: Int64 { controls.syncedGeneration.withLockedValue { $0 } }

    /// A shared store's answer, read through `connection` (the caller's event loop's own), or nil
    /// when it would not be a plain 200, when the connection failed, or when the statement saw
    /// other controls than `controlsGeneration` (`expected`): the router then answers from the
    /// start, after synchronizing them, as it does its own speculative reads
    /// (`TestControls.answerIfControlsCurrent`). The entry is in the shared log before the answer
    /// is given, as the router's is.
    func answerOnLoop(
        _ head: HTTPRequest,
        _ read: Read,
        controlsGeneration expected: Int64,
        through connection: PostgresLoopConnection
    ) -> EventLoopFuture<(HTTPResponse, ByteBuffer)?> {
        let loop = connection.eventLoop
        guard var answer = begin(head), let tenant = answer.tenant else { return loop.makeSucceededFuture(nil) }
        label(&answer, read)
        let begun = answer
        let files = self.files
        let body: EventLoopFuture<ByteBuffer?>
        switch read {
        case .file(let id):
            body = connection.file(id: id, tenant: tenant.key).map { generation, file in
                guard generation == expected, let file, file.isVisible(at: files.service.clock.seconds) else { return nil }
                return files.fileObject(file).jsonBody()
            }
        case .page(let uri):
            guard let parameters = try? pageParameters(uri) else { return loop.makeSucceededFuture(nil) }
            let query = files.service.listQuery(parameters, tenant: tenant, after: nil)
            body = connection.page(query, afterFileID: parameters.after).map { generation, rows in
                guard generation == expected, let rows else { return nil }
                return files.pageObject(FileService.page(rows, limit: parameters.limit)).jsonBody()
            }
        }
        return body.flatMap { body -> EventLoopFuture<(HTTPResponse, ByteBuffer)?> in
            var answer = begun
            guard let body, self.finish(&answer, body: body) else { return loop.makeSucceededFuture(nil) }
            for rule in self.rules.answering.reversed() {
                rule.recordDirectAnswer(answer)
            }
            let response = (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
            return self.rules.requestLog.recordSharedDirectAnswer(answer, through: connection).map { response }
        }.recover { _ in nil }  // the statement failed (the connection was lost): nothing recorded yet
    }
}
