import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import MockFiles
import NIOCore

/// `mockfiles serve`: flags win over `MOCKFILES_*` environment variables, which win over the
/// config file, which wins over the defaults.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the API server.")

    @Option(help: "Address to bind (default 127.0.0.1; use 0.0.0.0 in a container).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the SQLite database and the blobs (default ./data).")
    var dataDir: String?

    @Option(
        name: .customLong("database-url"),
        help: "postgres://USER:PASS@HOST:PORT/DB: keep metadata in PostgreSQL, shared by several instances (default: SQLite in the data dir)."
    )
    var databaseURL: String?

    @Option(name: .customLong("database-connections"), help: "PostgreSQL connections per instance at most (default 20).")
    var databaseConnections: Int?

    @Option(name: .customLong("blob-url"), help: "s3://BUCKET[/PREFIX]: keep file bytes in S3 (needs --database-url; AWS_* credentials).")
    var blobURL: String?

    @Option(name: .customLong("s3-endpoint"), help: "S3-compatible endpoint URL (MinIO, SeaweedFS, R2); path-style addressing.")
    var s3Endpoint: String?

    @Option(name: .customLong("s3-region"), help: "S3 region (default us-east-1).")
    var s3Region: String?

    @Option(help: "JSON config file (also MOCKFILES_CONFIG). See config/ for examples.")
    var config: String?

    @Option(help: "shared (default), per-key or per-project.")
    var tenancy: String?

    @Option(name: .customLong("max-file-bytes"), help: "Largest file accepted by POST /v1/files (default 536870912).")
    var maxFileBytes: Int?

    @Option(name: .customLong("max-upload-bytes"), help: "Largest Upload (POST /v1/uploads bytes) accepted (default 8589934592).")
    var maxUploadBytes: Int?

    @Option(name: .customLong("max-part-bytes"), help: "Largest Upload Part accepted (default 67108864).")
    var maxPartBytes: Int?

    @Option(
        name: .customLong("storage-quota-bytes"),
        help: "Bytes one tenant's files may hold together; past it a new file or Upload gets the real service's quota 400 (default: no quota)."
    )
    var storageQuotaBytes: Int?

    @Option(
        name: .customLong("downloadable-purposes"),
        help:
            "Purposes whose content may be downloaded: 'all' or a comma-separated list (default: all but assistants, user_data, fine-tune and evals, as the real service)."
    )
    var downloadablePurposes: String?

    @Flag(
        name: .customLong("allow-assistants-download"),
        help: "Also serve content of purpose=assistants files (alias kept from before --downloadable-purposes)."
    )
    var allowAssistantsDownload = false

    @Flag(help: "Keep everything in a fresh temporary directory, removed when the server stops, without fsyncs (not with --data-dir or a database).")
    var ephemeral = false

    @Option(
        name: .customLong("batch-timings"),
        help: "How long a batch's stages last: validating=1s,line=10ms,finalizing=1s,cancelling=1s (the default; any of the four)."
    )
    var batchTimings: String?

    @Option(
        name: .customLong("webhook-url"),
        help: "POST batch.completed/failed/expired/cancelled events here, signed with MOCKFILES_WEBHOOK_SECRET (whsec_…)."
    )
    var webhookURL: String?

    @Option(
        name: .customLong("batch-upstream"),
        help:
            "An OpenAI-compatible server's root URL: each batch line's body is POSTed to it + the line's url when results are made (default: canned answers)."
    )
    var batchUpstream: String?

    @Option(name: .customLong("batch-upstream-concurrency"), help: "Batch line requests in flight to the upstream at once, at most (default 8).")
    var batchUpstreamConcurrency: Int?

    @Option(
        name: .customLong("batch-upstream-timeout"),
        help: "Seconds one batch line's request to the upstream may take, answer included (default 60)."
    )
    var batchUpstreamTimeout: Double?

    @Option(name: .customLong("sweep-interval"), help: "Seconds between expiry sweeps (default 60).")
    var sweepInterval: Double?

    @Option(name: .customLong("head-timeout"), help: "Seconds a request head may take to arrive, counted from its start (default 10).")
    var headTimeout: Double?

    @Option(name: .customLong("max-connections"), help: "Connections held at once (default 1024); /health stays answerable beyond it.")
    var maxConnections: Int?

    @Option(name: .customLong("max-connections-per-address"), help: "Connections held at once from one IP address (default 256).")
    var maxConnectionsPerAddress: Int?

    @Option(help: "Directory with fixtures.json: files loaded at start and on POST /admin/reset.")
    var fixtures: String?

    @Option(help: "A snapshot archive (GET /admin/snapshot, mockfiles snapshot export) to start from: it replaces the stored state.")
    var snapshot: String?

    @Option(name: .customLong("admin-token"), help: "Require this Bearer token on /admin/ (default: admin API open on loopback only).")
    var adminToken: String?

    @Option(name: .customLong("public-hosts"), help: "Host names besides loopback ones the admin API answers for without a token, comma-separated.")
    var publicHosts: String?

    @Option(name: .customLong("cors-allowed-origins"), help: "Origins whose pages may call /v1: * (default) or a comma-separated list.")
    var corsAllowedOrigins: String?

    @Option(name: .customLong("processing-delay"), help: "Milliseconds new files report status 'uploaded' before 'processed' (default 0).")
    var processingDelay: Int?

    @Option(name: .customLong("id-seed"), help: "Seed for file, upload and part ids, so they repeat run to run.")
    var idSeed: UInt64?

    @Option(name: .customLong("log-level"), help: "trace, debug, info (default), notice, warning, error, critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text (default) or json: one JSON object per line on stderr.")
    var logFormat: String?

    func run() async throws {
        if ephemeral, dataDir != nil { throw Self.startupFailure("--ephemeral makes its own data directory: leave out --data-dir") }
        let scratch = try ephemeral ? EphemeralDirectory() : nil
        defer { scratch?.remove() }
        var settings: ServerSettings
        do {
            settings = try ServerSettings(config: try await configReader(dataDirectory: scratch?.path ?? dataDir))
        } catch {
            throw Self.startupFailure("configuration: \(error)")
        }
        settings.durableWrites = !ephemeral
        if ephemeral, settings.storage.isShared {
            throw Self.startupFailure("--ephemeral keeps everything in a temporary directory: it cannot use databaseUrl or blobUrl")
        }
        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .text: RedactingLogHandler(StreamLogHandler.standardError(label: label))
            case .json: RedactingLogHandler(JSONLogHandler(label: label))
            }
        }
        let server: MockFilesServer
        do {
            var logger = Logger(label: "mockfiles")
            logger.logLevel = settings.logLevel
            let storage = try await StorageBackends.open(settings, logger: logger)
            server = try MockFilesServer(settings: settings, storage: storage)
        } catch let problem as FixtureManifest.Problem {
            throw Self.startupFailure("fixtures: \(problem)")
        } catch let error as SettingsError {
            throw Self.startupFailure("\(error)")
        }
        do {
            try await buildApplication(server).runService()
        } catch let problem as FixtureManifest.Problem {
            throw Self.startupFailure("fixtures: \(problem)")
        } catch let error as SnapshotRestoreFailure {
            throw Self.startupFailure("snapshot \(settings.startupSnapshot ?? ""): \(error)")
        } catch let error as IOError where error.errnoCode != 0 {
            // Binding is the only socket call that can fail this way before the server runs.
            throw Self.startupFailure("cannot listen on \(settings.host):\(settings.port): \(error.reason)")
        } catch let error as SocketAddressError {
            throw Self.startupFailure("cannot listen on \(settings.host):\(settings.port): \(error)")
        }
    }

    /// A comma-separated flag value as a list.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `strerror` in lower case, as the rest of the line: "address already in use".
    /// Says what is wrong on stderr and exits with EX_CONFIG, without the usage text a
    /// ValidationError would add (the flags were fine; their content was not).
    /// Any URL's credentials in it are masked: the message may quote a setting.
    static func startupFailure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("mockfiles: \(URLRedaction.redacted(message))\n".utf8))
        return ExitCode(78)
    }

    func configReader(dataDirectory: String?) async throws -> ConfigReader {
        var overrides: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { overrides["host"] = .init(.string(host), isSecret: false) }
        if let port { overrides["port"] = .init(.int(port), isSecret: false) }
        if let dataDirectory { overrides["dataDir"] = .init(.string(dataDirectory), isSecret: false) }
        if let databaseURL { overrides["databaseUrl"] = .init(.string(databaseURL), isSecret: true) }
        if let blobURL { overrides["blobUrl"] = .init(.string(blobURL), isSecret: false) }
        if let s3Endpoint { overrides["s3.endpoint"] = .init(.string(s3Endpoint), isSecret: false) }
        if let s3Region { overrides["s3.region"] = .init(.string(s3Region), isSecret: false) }
        if let databaseConnections { overrides["databaseConnections"] = .init(.int(databaseConnections), isSecret: false) }
        if let tenancy { overrides["tenancy"] = .init(.string(tenancy), isSecret: false) }
        if let maxFileBytes { overrides["maxFileBytes"] = .init(.int(maxFileBytes), isSecret: false) }
        if let maxUploadBytes { overrides["maxUploadBytes"] = .init(.int(maxUploadBytes), isSecret: false) }
        if let maxPartBytes { overrides["maxPartBytes"] = .init(.int(maxPartBytes), isSecret: false) }
        if let storageQuotaBytes { overrides["storageQuotaBytes"] = .init(.int(storageQuotaBytes), isSecret: false) }
        if let downloadablePurposes {
            overrides["downloadablePurposes"] = .init(.stringArray(Self.list(downloadablePurposes)), isSecret: false)
        }
        if allowAssistantsDownload { overrides["allowAssistantsDownload"] = .init(.bool(true), isSecret: false) }
        if let batchTimings { overrides["batchTimings"] = .init(.string(batchTimings), isSecret: false) }
        if let webhookURL { overrides["webhookUrl"] = .init(.string(webhookURL), isSecret: false) }
        if let batchUpstream { overrides["batchUpstream"] = .init(.string(batchUpstream), isSecret: false) }
        if let batchUpstreamConcurrency { overrides["batchUpstreamConcurrency"] = .init(.int(batchUpstreamConcurrency), isSecret: false) }
        if let batchUpstreamTimeout { overrides["batchUpstreamTimeoutSeconds"] = .init(.double(batchUpstreamTimeout), isSecret: false) }
        if let sweepInterval { overrides["sweepIntervalSeconds"] = .init(.double(sweepInterval), isSecret: false) }
        if let headTimeout { overrides["headTimeoutSeconds"] = .init(.double(headTimeout), isSecret: false) }
        if let maxConnections { overrides["maxConnections"] = .init(.int(maxConnections), isSecret: false) }
        if let maxConnectionsPerAddress { overrides["maxConnectionsPerAddress"] = .init(.int(maxConnectionsPerAddress), isSecret: false) }
        if let fixtures { overrides["fixturesDir"] = .init(.string(fixtures), isSecret: false) }
        if let snapshot { overrides["snapshotFile"] = .init(.string(snapshot), isSecret: false) }
        if let adminToken { overrides["adminToken"] = .init(.string(adminToken), isSecret: true) }
        if let publicHosts { overrides["publicHosts"] = .init(.stringArray(Self.list(publicHosts)), isSecret: false) }
        if let corsAllowedOrigins { overrides["corsAllowedOrigins"] = .init(.stringArray(Self.list(corsAllowedOrigins)), isSecret: false) }
        if let processingDelay { overrides["processingDelayMs"] = .init(.int(processingDelay), isSecret: false) }
        if let idSeed { overrides["idSeed"] = .init(.string(String(idSeed)), isSecret: false) }
        if let logLevel { overrides["logLevel"] = .init(.string(logLevel), isSecret: false) }
        if let logFormat { overrides["logFormat"] = .init(.string(logFormat), isSecret: false) }
        let path = config ?? ProcessInfo.processInfo.environment["MOCKFILES_CONFIG"]
        return try await ServerSettings.configReader(flags: overrides, configFile: path)
    }
}
