import Foundation

/// Where metadata and bytes live. Absent URLs mean the embedded default: SQLite and blobs in the
/// data directory. A `databaseURL` moves metadata to PostgreSQL; a `blobURL` moves bytes to an
/// S3-compatible store, which only makes sense with a shared database (several instances).
public struct StorageSettings: Sendable {
    public var database: PostgresLocation?
    public var blobs: S3Location?

    public init() {}

    /// True when another instance may share the state (a PostgreSQL database).
    public var isShared: Bool { database != nil }
}

/// A PostgreSQL database from `postgres://USER:PASS@HOST:PORT/DB[?sslmode=disable|prefer|require]`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Parses the URL; the error never repeats the password.
    public init(url text: String) throws {
        let problem = SettingsError(
            "databaseUrl must look like postgres://USER:PASS@HOST:PORT/DB, got '\(URLRedaction.redactedRun(text))'"
        )
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme),
            let host = url.host, !host.isEmpty, let username = url.user, !username.isEmpty
        else { throw problem }
        let database = String(url.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw problem }
        self.host = host
        self.port = url.port ?? 5432
        self.username = username
        self.password = url.password
        self.database = database
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? TLSMode.prefer.rawValue
        guard let tls = TLSMode(rawValue: mode) else {
            throw SettingsError("databaseUrl sslmode must be disable, prefer or require, got '\(mode)'")
        }
        self.tls = tls
    }

    /// The URL with its password replaced, for messages and logs.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}

/// A bucket and key prefix from `s3://BUCKET[/PREFIX]`, with the endpoint, region and credentials
/// to reach it. Credentials come from the standard `AWS_*` environment variables.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// Prepended to every key; empty or ending in `/`.
    public var prefix: String
    /// A non-AWS endpoint (MinIO, SeaweedFS, R2): path-style addressing is used with it.
    public var endpoint: URL?
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(url text: String, endpoint: String?, region: String, environment: [String: String]) throws {
        guard text.hasPrefix("s3://") else {
            throw SettingsError("blobUrl must look like s3://BUCKET[/PREFIX], got '\(URLRedaction.redactedRun(text))'")
        }
        let rest = text.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        // S3's bucket naming rules, so a typo fails here and not at the first upload.
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard (3...63).contains(bucket.count), bucket.allSatisfy(allowed.contains), bucket.first != "-", bucket.first != "." else {
            throw SettingsError(
                "blobUrl bucket '\(URLRedaction.redactedRun(bucket))' is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')"
            )
        }
        self.bucket = bucket
        let path = rest.dropFirst(bucket.count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.prefix = path.isEmpty ? "" : path + "/"
        if let endpoint {
            guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SettingsError("s3.endpoint must be an http:// or https:// URL, got '\(URLRedaction.redactedRun(endpoint))'")
            }
            self.endpoint = url
        }
        self.region = region
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw SettingsError("blobUrl needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        accessKeyID = key
        secretAccessKey = secret
        sessionToken = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The location without its credentials, for messages and logs.
    public var description: String {
        "s3://\(bucket)/\(prefix) (endpoint \(endpoint.map { URLRedaction.redactedRun($0.absoluteString) } ?? "AWS"), region \(region))"
    }
}
