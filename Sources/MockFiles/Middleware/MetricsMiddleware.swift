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
