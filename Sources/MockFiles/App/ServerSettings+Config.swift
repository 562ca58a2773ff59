import Configuration
import Foundation
import Logging
import NIOFileSystem

extension ServerSettings {
    /// Reads every setting from `config`, falling back to the defaults. Keys are camelCase
    /// (`dataDir`); through the environment they are `MOCKFILES_` plus upper snake case
    /// (`MOCKFILES_DATA_DIR`). docs/configuration.md lists them all.
    /// `environment` supplies the standard `AWS_*` credentials of an S3 blob store.
    public init(config: ConfigReader, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init()
        host = config.string(forKey: "host", default: host)
        port = config.int(forKey: "port", default: port)
        dataDirectory = config.string(forKey: "dataDir", default: dataDirectory)
        storage = try StorageSettings(config: config, environment: environment)
        databaseConnections = config.int(forKey: "databaseConnections", default: databaseConnections)
        instanceName = config.string(forKey: "instanceName", default: instanceName)
        let tenancyName = config.string(forKey: "tenancy", default: tenancy.rawValue)
        guard let mode = TenancyMode(rawValue: tenancyName) else {
            throw SettingsError("tenancy must be one of \(TenancyMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(tenancyName)'")
        }
        tenancy = mode
        organization = config.string(forKey: "organization", default: organization)
        project = config.string(forKey: "project", default: project)
        apiKeys = try config.stringArray(forKey: "apiKeys", default: []).map { text in
            guard let entry = APIKeyEntry(parsing: text) else {
                throw SettingsError("apiKeys entry '\(text)' is not KEY, KEY=ORG or KEY=ORG/PROJECT")
            }
            return entry
        }
        rejectUnknownKeys = config.bool(forKey: "rejectUnknownKeys", default: rejectUnknownKeys)
        files.maxFileBytes = Int64(config.int(forKey: "maxFileBytes", default: Int(files.maxFileBytes)))
        files.maxBatchFileBytes = Int64(config.int(forKey: "maxBatchFileBytes", default: Int(files.maxBatchFileBytes)))
        let purposeNames = config.stringArray(forKey: "downloadablePurposes", default: [])
        if !purposeNames.isEmpty {
            guard let purposes = Purpose.parseSet(purposeNames) else {
                let known = Purpose.allCases.map(\.rawValue).joined(separator: ", ")
                throw SettingsError(
                    "downloadablePurposes must be 'all' or a comma-separated list of \(known); got '\(purposeNames.joined(separator: ","))'"
                )
            }
            files.downloadablePurposes = purposes
        }
        // The older switch, kept as an alias: it adds `assistants` to whatever the list says.
        if config.bool(forKey: "allowAssistantsDownload", default: false) { files.downloadablePurposes.insert(.assistants) }
        files.tombstoneRetentionSeconds = Int64(config.int(forKey: "tombstoneRetentionSeconds", default: Int(files.tombstoneRetentionSeconds)))
        uploads.maxUploadBytes = Int64(config.int(forKey: "maxUploadBytes", default: Int(uploads.maxUploadBytes)))
        uploads.maxPartBytes = Int64(config.int(forKey: "maxPartBytes", default: Int(uploads.maxPartBytes)))
        if let timings = config.string(forKey: "batchTimings") { batches.schedule = try BatchSchedule(parsing: timings, over: batches.schedule) }
        webhooks = try WebhookSettings(config: config)
        batches.announcesEnds = webhooks != nil
        if let url = config.string(forKey: "batchUpstream"), !url.isEmpty {
            var upstream = try BatchUpstream(url: url, apiKey: config.string(forKey: "batchUpstreamApiKey", isSecret: true))
            upstream.concurrency = try Self.number(config.int(forKey: "batchUpstreamConcurrency"), config, "batchUpstreamConcurrency") ?? 8
            upstream.timeoutSeconds =
                try Self.number(config.double(forKey: "batchUpstreamTimeoutSeconds"), config, "batchUpstreamTimeoutSeconds") ?? 60
            try upstream.validate()
            batches.upstream = upstream
        }
        sweepIntervalSeconds = config.double(forKey: "sweepIntervalSeconds", default: sweepIntervalSeconds)
        idleTimeoutSeconds = config.double(forKey: "idleTimeoutSeconds", default: idleTimeoutSeconds)
        headTimeoutSeconds = config.double(forKey: "headTimeoutSeconds", default: headTimeoutSeconds)
        maxConnections = config.int(forKey: "maxConnections", default: maxConnections)
        maxConnectionsPerAddress = config.int(forKey: "maxConnectionsPerAddress", default: maxConnectionsPerAddress)
        gzipMinimumBytes = config.int(forKey: "gzipMinimumBytes", default: gzipMinimumBytes)
        adminToken = config.string(forKey: "adminToken", isSecret: true)
        publicHosts = Set(config.stringArray(forKey: "publicHosts", default: []).map { $0.lowercased() })
        corsAllowedOrigins = Set(config.stringArray(forKey: "corsAllowedOrigins", default: Array(corsAllowedOrigins)))
        fixturesDirectory = config.string(forKey: "fixturesDir")
        startupSnapshot = config.string(forKey: "snapshotFile")
        requestLogCapacity = config.int(forKey: "requestLogCapacity", default: requestLogCapacity)
        files.processingDelaySeconds = Double(config.int(forKey: "processingDelayMs", default: 0)) / 1000
        files.hashesUploads = config.bool(forKey: "fileDigests", default: files.hashesUploads)
        let quota = config.int(forKey: "storageQuotaBytes")
        // A value that is not a number would otherwise be dropped silently, leaving no quota.
        if quota == nil, let text = config.string(forKey: "storageQuotaBytes") {
            throw SettingsError("storageQuotaBytes must be a whole number of bytes, got '\(text)'")
        }
        files.storageQuotaBytes = quota.map(Int64.init)
        if let seed = config.string(forKey: "idSeed") {
            guard let value = UInt64(seed) else { throw SettingsError("idSeed must be a non-negative integer, got '\(seed)'") }
            idSeed = value
        }
        let levelName = config.string(forKey: "logLevel", default: logLevel.rawValue)
        guard let level = Logger.Level(rawValue: levelName) else { throw SettingsError("logLevel '\(levelName)' is not a log level") }
        logLevel = level
        let formatName = config.string(forKey: "logFormat", default: logFormat.rawValue)
        guard let format = LogFormat(rawValue: formatName) else { throw SettingsError("logFormat '\(formatName)' is not text or json") }
        logFormat = format
        try validate()
    }

    /// Settings sources by precedence: flags, then `MOCKFILES_*` environment variables, then the JSON config file.
    public static func configReader(
        flags: [AbsoluteConfigKey: ConfigValue],
        configFile: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flags),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "mockfiles"),
        ]
        if let configFile {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
        }
        return ConfigReader(providers: providers)
    }

    /// A number setting's value; a text that is not a number is refused (read as a number, it
    /// would be dropped silently and the default used).
    private static func number<Number>(_ value: Number?, _ config: ConfigReader, _ key: String) throws -> Number? {
        if value == nil, let text = config.string(forKey: ConfigKey(key)) { throw SettingsError("\(key) must be a number, got '\(text)'") }
        return value
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw SettingsError("port must be between 0 and 65535, got \(port)") }
        guard files.maxFileBytes > 0, files.maxBatchFileBytes > 0, uploads.maxUploadBytes > 0, uploads.maxPartBytes > 0 else {
            throw SettingsError("size limits must be positive")
        }
        guard sweepIntervalSeconds > 0 else { throw SettingsError("sweepIntervalSeconds must be positive") }
        guard databaseConnections > 0 else { throw SettingsError("databaseConnections must be positive") }
        guard maxConnections > 0 else { throw SettingsError("maxConnections must be positive") }
        guard maxConnectionsPerAddress > 0 else { throw SettingsError("maxConnectionsPerAddress must be positive") }
        // At most a day: the deadline is scheduled in milliseconds, and past that it bounds nothing.
        guard headTimeoutSeconds > 0, headTimeoutSeconds <= 86_400 else {
            throw SettingsError("headTimeoutSeconds must be positive and at most 86400, got \(headTimeoutSeconds)")
        }
        guard requestLogCapacity > 0 else { throw SettingsError("requestLogCapacity must be positive") }
        if let quota = files.storageQuotaBytes, quota <= 0 { throw SettingsError("storageQuotaBytes must be positive, got \(quota)") }
        guard files.processingDelaySeconds >= 0 else { throw SettingsError("processingDelayMs must not be negative") }
        // Bounded like the head deadline: the value becomes milliseconds in an Int64 (1e300 trapped at start).
        guard idleTimeoutSeconds > 0, idleTimeoutSeconds <= 86_400 else {
            throw SettingsError("idleTimeoutSeconds must be positive and at most 86400, got \(idleTimeoutSeconds)")
        }
    }
}

/// A setting that cannot be used; the message names it, and never a URL's credentials.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = URLRedaction.redacted(description) }
}
