import Logging
import PostgresNIO
import ServiceLifecycle

/// The stores one server instance works with, opened from its settings before anything listens.
/// Services receive them; nothing else opens a store.
public struct StorageBackends: Sendable {
    public var metadata: any MetadataStore & UploadStore & BatchStore
    public var blobs: any BlobStore
    /// Who runs the expiry sweep when several instances share the stores.
    public var leases: any LeaseStore
    /// The clock, fault rules and request log several instances share; nil when alone.
    public var sharedControls: (any SharedControlStore)?
    /// Where a server alone keeps its clock and fault rules; nil when they are shared (or kept nowhere).
    public var savedControls: (any SavedControlStore)?
    /// Clients the stores need running (a PostgreSQL pool): the first services of the server's
    /// group, so that on shutdown they stop after the HTTP server has drained.
    public var services: [any Service]
    /// True when other instances may share these stores (startup recovery then leaves recent blobs alone).
    public var isShared: Bool
    /// The event loops' own database connections, through which `DirectFileReads` answers the
    /// commonest reads of a shared store; also among `services`.
    var loopConnections: PostgresLoopConnections?

    public init(
        metadata: any MetadataStore & UploadStore & BatchStore,
        blobs: any BlobStore,
        leases: any LeaseStore = LocalLeases(),
        sharedControls: (any SharedControlStore)? = nil,
        savedControls: (any SavedControlStore)? = nil,
        services: [any Service] = [],
        isShared: Bool = false
    ) {
        self.metadata = metadata
        self.blobs = blobs
        self.leases = leases
        self.sharedControls = sharedControls
        self.savedControls = sharedControls == nil ? savedControls ?? (metadata as? any SavedControlStore) : nil
        self.services = services
        self.isShared = isShared
    }

    /// The embedded default: SQLite and blobs in `dataDirectory` (synced unless not `durable`).
    public static func embedded(dataDirectory: String, durable: Bool = true) throws -> StorageBackends {
        StorageBackends(
            metadata: try SQLiteMetadataStore(dataDirectory: dataDirectory, durable: durable),
            blobs: try DiskBlobStore(dataDirectory: dataDirectory, durable: durable)
        )
    }

    /// Opens what `settings` name. A bucket or database that cannot be reached or refuses the
    /// credentials fails here, with a message that names the setting, before the server binds
    /// its port. The bucket is checked first: a refusal then leaves the database untouched.
    public static func open(_ settings: ServerSettings, logger: Logger) async throws -> StorageBackends {
        guard let database = settings.storage.database else {
            return try embedded(dataDirectory: settings.dataDirectory, durable: settings.durableWrites)
        }
        var services: [any Service] = []
        let blobs: any BlobStore
        if let location = settings.storage.blobs {
            let (store, service) = try await location.openStore(logger: logger)
            blobs = store
            services.append(service)
        } else {
            blobs = try DiskBlobStore(dataDirectory: settings.dataDirectory)
        }
        do {
            try await database.withConnection(logger: logger) { connection in
                try await PostgresMetadataStore.migrate(connection, logger: logger)
            }
        } catch {
            for case let s3 as S3ClientService in services { try? await s3.client.shutdown() }
            throw error
        }
        let client = PostgresClient(
            configuration: database.clientConfiguration(maximumConnections: settings.databaseConnections),
            backgroundLogger: logger
        )
        let metadata = PostgresMetadataStore(client: client, logger: logger)
        let loopConnections = try PostgresLoopConnections(database, requestLogCapacity: settings.requestLogCapacity, logger: logger)
        var backends = StorageBackends(
            metadata: metadata,
            blobs: blobs,
            leases: metadata,
            sharedControls: metadata,
            services: [client, loopConnections] + services,
            isShared: true
        )
        backends.loopConnections = loopConnections
        return backends
    }
}
