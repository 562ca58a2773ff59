import HTTPTypes
import Hummingbird
import NIOCore

/// Applies the admin API's fault rules to API requests (`/v1` only): a delay, an error answer with the
/// headers the SDKs read for retries (`retry-after`, `retry-after-ms`, `x-should-retry`), or a
/// dropped connection.
struct FaultMiddleware: RouterMiddleware {
    /// A fault closed the connection on purpose: there is no one to answer.
    struct DroppedConnection: Error {}

    typealias Context = AppRequestContext
    let controls: TestControls
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // Faults are for the API a test exercises: a `*` rule must not lock the operator out of
        // the dashboard that removes it, nor break /health, /metrics or /openapi.yaml.
        guard path == "/v1" || path.hasPrefix("/v1/") else {
            // The admin API reads and moves the clock: it must start from the shared one too.
            if path.hasPrefix("/admin") { try await controls.synchronize() }
            return try await next(request, context)
        }
        if controls.shared != nil, Self.readsFilesOnly(request), controls.faults.isEmpty,
            let answer = try await controls.answerIfControlsCurrent({ try await next(request, context) })
        {
            return answer
        }
        let apiKey = AuthMiddleware.bearerToken(request.headers[.authorization])
        guard let rule = try await controls.fireFault(method: request.method.rawValue, path: path, apiKey: apiKey) else {
            return try await next(request, context)
        }
        metrics.recordFault(kind: rule.dropConnection ? "drop_connection" : rule.status != nil ? "error" : "delay")
        if rule.delayMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(rule.delayMilliseconds))
        }
        if rule.dropConnection {
            context.annotations.dropsConnection = true
            throw DroppedConnection()
        }
        guard let status = rule.status else {
            return try await next(request, context)
        }
        var headers = HTTPFields()
        for (name, value) in rule.headers {
            if let fieldName = HTTPField.Name(name) { headers[fieldName] = value }
        }
        throw APIError(
            status: HTTPResponse.Status(code: status),
            message: rule.errorMessage,
            type: rule.errorType,
            param: nil,
            code: rule.errorCode,
            headers: headers
        )
    }
}

extension FaultMiddleware {
    /// A GET of one file's object or of a page of them: answered from one statement and nothing
    /// else, so it may be answered twice (`TestControls.answerIfControlsCurrent`). Not the
    /// content, whose answer streams from the blob store, nor a batch, whose read may settle it.
    static func readsFilesOnly(_ request: Request) -> Bool {
        guard request.method == .get else { return false }
        let path = request.uri.path
        guard path.hasPrefix("/v1/files") else { return false }
        let rest = path.utf8.dropFirst("/v1/files".utf8.count)
        // "/v1/files", "/v1/files/", or "/v1/files/{id}" with no further segment.
        return rest.isEmpty || (rest.first == UInt8(ascii: "/") && !rest.dropFirst().contains(UInt8(ascii: "/")))
    }
}

extension FaultMiddleware: RouterOnlyRule {
    /// A rule in force may match any request: then the router answers every request. Shared rules
    /// are another instance's to change: a shared direct read checks in its statement that this
    /// instance's copy is current, as the router's speculative read does (`DirectFileReads.answerOnLoop`).
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { !controls.faults.isEmpty }
}
