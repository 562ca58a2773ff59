import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Everything one server instance is made of; tests build it with their own clock, ids and settings.
public struct MockFilesServer: Sendable {
    public let settings: ServerSettings
    public let fileService: FileService
    public let clock: ServiceClock
    public let logger: Logger

    public init(settings: ServerSettings, clock: ServiceClock = ServiceClock(), ids: IDGenerator = IDGenerator(), logger: Logger? = nil)
        throws
    {
        var logger = logger ?? Logger(label: "mockfiles")
        logger.logLevel = settings.logLevel
        self.settings = settings
        self.clock = clock
        self.logger = logger
        let metadata = try SQLiteMetadataStore(dataDirectory: settings.dataDirectory)
        let blobs = try DiskBlobStore(dataDirectory: settings.dataDirectory, logger: logger)
        fileService = FileService(metadata: metadata, blobs: blobs, clock: clock, ids: ids, settings: settings.files, logger: logger)
    }
}

/// The HTTP application: router, server settings and the background services.
public func buildApplication(_ server: MockFilesServer) -> some ApplicationProtocol {
    let settings = server.settings
    let services: [any Service] = [
        StartupRecovery(service: server.fileService, startedAt: Date().timeIntervalSince1970, logger: server.logger),
        ExpirySweeper(service: server.fileService, interval: .milliseconds(Int64(settings.sweepIntervalSeconds * 1000)), logger: server.logger),
    ]
    return Application(
        router: buildRouter(server),
        server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)))),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
        services: services,
        onServerRunning: { channel in
            server.logger.info("mockfiles is ready", metadata: ["address": "\(channel.localAddress.map(String.init(describing:)) ?? "?")"])
        },
        logger: server.logger
    )
}

/// Routes and middleware. Middleware added first runs outermost: headers on every answer,
/// then the error envelope around everything below it.
public func buildRouter(_ server: MockFilesServer) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: OpenAIHeadersMiddleware(defaultOrganization: server.settings.organization))
    router.add(middleware: ErrorEnvelopeMiddleware())
    router.get("health") { _, _ in
        try JSONResponse.make(["status": "ok"])
    }
    let api = router.group("v1")
        .add(middleware: AuthMiddleware(resolver: server.settings.tenantResolver))
        .add(middleware: GzipMiddleware(minimumBytes: server.settings.gzipMinimumBytes))
    FilesController(service: server.fileService).addRoutes(to: api)
    return router
}
