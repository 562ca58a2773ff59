import Hummingbird

/// The per-request rules in the order they apply, outermost first. `buildRouter` adds them as
/// the router's middleware and `DirectFileReads` runs them for the answers it gives, so a rule is
/// added in this one place for both (docs/design.md, "Middleware order"). Made when a server's
/// router or direct reads are made, never per request.
struct RequestRules: Sendable {
    /// Around every route.
    let everyRoute: [any RequestRule]
    /// Inside those, around the API's routes (`/v1`) only.
    let api: [any RequestRule]
    /// Both, outermost first: what a direct read, always an API request, goes through.
    let all: [any RequestRule]
    /// Those of `all` with a part in the answers the direct reads give (no `RouterOnlyRule`):
    /// the only ones a direct read calls after its head is taken.
    let answering: [any RequestRule]
    /// The request log's rule, also among `everyRoute`: a shared direct read awaits its write.
    let requestLog: RequestLogMiddleware

    init(_ server: MockFilesServer) {
        let settings = server.settings
        requestLog = RequestLogMiddleware(controls: server.controls, clock: server.clock, instance: settings.instanceName, logger: server.logger)
        everyRoute = [
            OpenAIHeadersMiddleware(defaultScope: settings.defaultScope),
            CORSMiddleware(allowedOrigins: settings.corsAllowedOrigins),
            MetricsMiddleware(metrics: server.metrics),
            requestLog,
            // Anything thrown below becomes the envelope, so the rules above see and stamp errors too.
            ErrorEnvelopeMiddleware(),
            FaultMiddleware(controls: server.controls, metrics: server.metrics),
            ContentEncodingMiddleware(),
            ExpectContinueMiddleware(),
        ]
        api = [
            AuthMiddleware(resolver: settings.tenantResolver),
            GzipMiddleware(minimumBytes: settings.gzipMinimumBytes),
        ]
        all = everyRoute + api
        answering = all.filter { !($0 is any RouterOnlyRule) }
    }
}
