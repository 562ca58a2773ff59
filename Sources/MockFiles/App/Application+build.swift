import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Everything one server instance is made of; tests build it with their own clock, ids and settings.
public struct MockFilesServer: Sendable {
    public let settings: ServerSettings
    public let fileService: FileService
    public let uploadService: UploadService
    public let batchService: BatchService
    public let controls: TestControls
    public let clock: ServiceClock
    public let logger: Logger
    public let metrics = ServerMetrics()
    public let storage: StorageBackends
    /// The dashboard's templates, parsed once.
    let dashboardViews: DashboardViews

    /// `storage` comes from `StorageBackends.open(settings)` (or `.embedded` in tests).
    public init(
        settings: ServerSettings,
        storage: StorageBackends,
        clock: ServiceClock = ServiceClock(),
        ids: IDGenerator? = nil,
        logger: Logger? = nil
    ) throws {
        let ids = ids ?? IDGenerator(seed: settings.idSeed)
        var logger = logger ?? Logger(label: "mockfiles")
        logger.logLevel = settings.logLevel
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.storage = storage
        dashboardViews = try DashboardViews()
        fileService = FileService(store: FileStore(storage, ids: ids, logger: logger), clock: clock, settings: settings.files)
        uploadService = UploadService(files: fileService, settings: settings.uploads)
        var batchSettings = settings.batches
        batchSettings.defaultProject = settings.project
        let fixtures = try settings.fixturesDirectory.map { directory in try FixtureManifest(directory: directory) }
        let controls = TestControls(
            files: fileService,
            uploads: uploadService,
            resolver: settings.tenantResolver,
            fixtures: fixtures,
            requestLogCapacity: settings.requestLogCapacity,
            shared: storage.sharedControls,
            saved: storage.savedControls
        )
        self.controls = controls
        batchService = BatchService(
            files: fileService,
            settings: batchSettings,
            rulesInForce: { try await controls.batchRulesInForce() },
            logger: logger,
            metrics: metrics
        )
    }
}

extension MockFilesServer {
    var sweeper: ExpirySweeper {
        ExpirySweeper(
            files: fileService,
            interval: .milliseconds(Int64(settings.sweepIntervalSeconds * 1000)),
            metrics: metrics,
            lease: ExpirySweeper.SweepLease(store: storage.leases, holder: settings.instanceName),
            synchronizeClock: controls.synchronize,
            orphanScan: storage.isShared ? ExpirySweeper.OrphanScan() : nil,
            logger: logger
        )
    }

    /// Present when `webhookUrl` is set.
    var webhookSender: WebhookSender? {
        settings.webhooks.map { webhooks in
            WebhookSender(
                batches: batchService,
                settings: webhooks,
                lease: ExpirySweeper.SweepLease(store: storage.leases, holder: settings.instanceName),
                synchronizeClock: controls.synchronize,
                record: controls.recordRequest,
                instance: settings.instanceName,
                logger: logger
            )
        }
    }

    var batchSettler: BatchSettler {
        BatchSettler(
            batches: batchService,
            lease: ExpirySweeper.SweepLease(store: storage.leases, holder: settings.instanceName),
            synchronizeClock: controls.synchronize,
            logger: logger
        )
    }
}

/// The HTTP application: router, server settings and the background services. The stores'
/// clients start first; fixtures load after them, then the start-up snapshot replaces the state,
/// all before the port opens (a bad manifest, fixture or archive stops start-up).
public func buildApplication(_ server: MockFilesServer) -> some ApplicationProtocol {
    let settings = server.settings
    let services: [any Service] =
        server.storage.services + [
            StartupRecovery(store: server.fileService.store, startedAt: Date().timeIntervalSince1970, logger: server.logger),
            server.sweeper,
            server.batchSettler,
        ] + [server.webhookSender].compactMap { $0 }
    var application = Application(
        router: buildRouter(server),
        server: .mockFilesHTTP1(
            bounds: .init(
                idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)),
                headTimeout: .milliseconds(Int64(settings.headTimeoutSeconds * 1000)),
                gate: ConnectionGate(maxConnections: settings.maxConnections, maxPerAddress: settings.maxConnectionsPerAddress)
            ),
            defaultScope: settings.defaultScope,
            directReads: DirectFileReads(server)
        ),
        // No `availableConnectionsDelegate`: it stops accepting at its cap, which would leave
        // `/health` in the listen backlog behind slow clients. `ConnectionGate` keeps the caps.
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
        services: services,
        onServerRunning: { channel in
            server.logger.info("mockfiles is ready", metadata: ["address": "\(channel.localAddress.map(String.init(describing:)) ?? "?")"])
        },
        logger: server.logger
    )
    application.beforeServerStarts {
        try await server.controls.loadSavedControls()
        try await server.controls.loadFixtures()
        if let snapshot = settings.startupSnapshot {
            let counts = try await server.importSnapshot(fromFileAt: snapshot)
            server.logger.info(
                "restored snapshot",
                metadata: [
                    "path": "\(snapshot)", "files": "\(counts.files)", "uploads": "\(counts.uploads)", "parts": "\(counts.parts)",
                    "batches": "\(counts.batches)",
                ]
            )
        }
    }
    return application
}

/// Routes and middleware. Middleware added first runs outermost: headers on every answer,
/// then the error envelope around everything below it.
public func buildRouter(_ server: MockFilesServer) -> Router<AppRequestContext> {
    buildRouter(server, dashboardSessions: DashboardSessions(signInRequired: server.settings.adminToken != nil))
}

/// The routes with the dashboard's sessions given (tests pass theirs, with a wall clock they move).
func buildRouter(_ server: MockFilesServer, dashboardSessions: DashboardSessions) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    // One list for this router and the direct reads (`RequestRules`): a rule is added to it, not here.
    let rules = RequestRules(server)
    for rule in rules.everyRoute { router.add(rule: rule) }
    OperationsController(metrics: server.metrics, store: server.fileService.store.reads).addRoutes(to: router)
    let api = router.group("v1")
    for rule in rules.api { api.add(rule: rule) }
    FilesController(service: server.fileService).addRoutes(to: api)
    UploadsController(service: server.uploadService).addRoutes(to: api)
    BatchesController(service: server.batchService).addRoutes(to: api)
    let operatorAccess = OperatorAccessMiddleware(token: server.settings.adminToken, publicHosts: server.settings.publicHosts)
    let adminController = AdminController(
        controls: server.controls,
        files: server.fileService,
        uploads: server.uploadService,
        sweeper: server.sweeper
    )
    adminController.addRoutes(to: router.group("admin").add(middleware: operatorAccess))
    let dashboardAccess = DashboardAccessMiddleware(operatorAccess: operatorAccess, sessions: dashboardSessions)
    DashboardController(
        files: server.fileService,
        uploads: server.uploadService,
        batches: server.batchService,
        controls: server.controls,
        sweeper: server.sweeper,
        sessions: dashboardSessions,
        views: server.dashboardViews,
        settings: server.settings
    )
    .addRoutes(to: router.group("ui").add(middleware: dashboardAccess))
    // The Upload page's requests: the API's create and Uploads routes, for the chosen tenant.
    var dashboardAPIAccess = dashboardAccess
    dashboardAPIAccess.csrfCarrier = .header
    let dashboardAPI = router.group("ui/api")
        .add(middleware: dashboardAPIAccess)
        .add(middleware: DashboardTenantMiddleware(organization: server.settings.organization))
    dashboardAPI.post("files", use: FilesController(service: server.fileService).create)
    UploadsController(service: server.uploadService).addRoutes(to: dashboardAPI)
    return router
}
