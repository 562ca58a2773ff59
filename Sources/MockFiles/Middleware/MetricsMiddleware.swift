import Hummingbird

/// Counts every request by route, method and status, and times it until its body has been
/// written (a download's duration includes sending the bytes).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let status = Int(response.status.code)
        let bytesOut = response.body.contentLength.map(Int64.init)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            // Recorded also when writing fails (the client went away): the request still happened.
            defer {
                metrics.recordRequest(
                    // Unmatched paths share one series: a scan of random URLs must not grow the registry.
                    route: context.endpointPath ?? "unmatched",
                    method: request.method.rawValue,
                    status: status,
                    duration: ContinuousClock.now - started,
                    bytesIn: request.headers[.contentLength].flatMap(Int64.init),
                    bytesOut: bytesOut
                )
            }
            try await body.write(writer)
        }
        return response
    }
}

extension MetricsMiddleware: RequestRule {
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool { true }
    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool { true }

    func recordDirectAnswer(_ answer: DirectAnswer) {
        metrics.recordRequest(
            route: answer.route,
            method: answer.head.method.rawValue,
            status: Int(answer.status.code),
            duration: ContinuousClock.now - answer.started,
            bytesIn: answer.head.headerFields[.contentLength].flatMap(Int64.init),
            bytesOut: Int64(answer.body.readableBytes)
        )
    }
}
