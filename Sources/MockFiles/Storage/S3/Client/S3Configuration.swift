import Foundation

/// An access key pair, with the session token of temporary credentials. Never printed: every way
/// Swift renders a value (`description`, `debugDescription`, `dump`'s mirror) redacts the secrets.
public struct S3Credentials: Sendable, Hashable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

extension S3Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "nil" : "<redacted>"))"
    }
    public var debugDescription: String { description }
    // `dump` and the debugger walk the mirror, not `description`.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

/// Where and how to reach the bucket.
public struct S3Configuration: Sendable {
    public var bucket: String
    /// Prepended to every key the client is given, stripped from every key it returns, so that
    /// several deployments can share a bucket (e.g. `"mockfiles/"`).
    public var keyPrefix: String
    /// An S3-compatible server (MinIO, SeaweedFS, R2…), e.g. `http://127.0.0.1:8333`, addressed
    /// path-style (`/BUCKET/KEY`). `nil`: AWS itself, virtual-host style `https://BUCKET.s3.REGION.amazonaws.com`.
    public var endpoint: String?
    public var region: String
    public var credentials: S3Credentials

    public init(bucket: String, keyPrefix: String = "", endpoint: String? = nil, region: String = "us-east-1", credentials: S3Credentials) {
        self.bucket = bucket
        self.keyPrefix = keyPrefix
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
    }

    /// Scheme, host and port of every request, and the path that names the bucket in it.
    struct Address: Equatable {
        var scheme: String
        var host: String
        var port: Int?
        /// `""` virtual-host style, `/BUCKET` path-style; raw, as the signer encodes the whole path.
        var bucketPath: String

        /// The `Host` header exactly as signed and sent: the port only when not the scheme's default.
        var hostHeader: String {
            let host = self.host.contains(":") ? "[\(self.host)]" : self.host  // an IPv6 literal
            guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
            return "\(host):\(port)"
        }
        var origin: String { "\(scheme)://\(hostHeader)" }
    }

    func address() throws -> Address {
        guard let endpoint else {
            return Address(scheme: "https", host: "\(bucket).s3.\(region).amazonaws.com", port: nil, bucketPath: "")
        }
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, url.path.isEmpty || url.path == "/"
        else { throw S3Error.invalidRequest("endpoint must be http(s)://host[:port] without a path: \(endpoint)") }
        return Address(scheme: scheme, host: host, port: url.port, bucketPath: "/" + bucket)
    }
}

extension S3Configuration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "S3Configuration(bucket: \(bucket), keyPrefix: \(keyPrefix), endpoint: \(endpoint ?? "nil"), region: \(region), credentials: \(credentials))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
