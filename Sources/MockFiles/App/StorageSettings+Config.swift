import Configuration

extension StorageSettings {
    /// `databaseUrl`, `blobUrl`, `s3.endpoint` and `s3.region` (`MOCKFILES_DATABASE_URL`,
    /// `MOCKFILES_BLOB_URL`, `MOCKFILES_S3_ENDPOINT`, `MOCKFILES_S3_REGION`). The secrets are read
    /// as secrets, so the configuration library never prints them.
    init(config: ConfigReader, environment: [String: String]) throws {
        self.init()
        if let url = config.string(forKey: "databaseUrl", isSecret: true), !url.isEmpty {
            database = try PostgresLocation(url: url)
        }
        if let url = config.string(forKey: "blobUrl"), !url.isEmpty {
            guard database != nil else {
                throw SettingsError(
                    "blobUrl (S3) needs databaseUrl (PostgreSQL): S3 is for several instances, and only a shared database serves them"
                )
            }
            blobs = try S3Location(
                url: url,
                endpoint: config.string(forKey: "s3.endpoint"),
                region: config.string(forKey: "s3.region", default: "us-east-1"),
                environment: environment
            )
        }
    }
}
