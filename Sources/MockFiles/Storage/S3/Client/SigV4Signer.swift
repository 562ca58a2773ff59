import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// AWS Signature Version 4 for S3, header-based. A pure value: no I/O, and the clock is the
/// caller's, so AWS's published examples are reproducible byte for byte.
public struct SigV4Signer: Sendable {
    /// `x-amz-content-sha256` of a body that is not hashed (streamed, or too large to hash first).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// `x-amz-content-sha256` of an empty body (GET, HEAD, DELETE).
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: S3Credentials
    public var region: String
    public var service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs a request. `path` and `query` are raw (not yet percent-encoded): the signer encodes
    /// them, and the caller must send them as `SignedRequest.encodedPath`/`encodedQuery`, so that
    /// what is signed and what goes on the wire cannot differ. Every header in `headers` is signed
    /// (include `host`); `x-amz-date`, `x-amz-content-sha256` and `x-amz-security-token` are added.
    public func sign(
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: HTTPHeaders,
        payloadHash: String,
        date: Date
    ) -> SignedRequest {
        let timestamp = S3Date.amzTimestamp(date)
        let day = String(timestamp.prefix(8))
        var headers = headers
        headers.replaceOrAdd(name: "x-amz-date", value: timestamp)
        headers.replaceOrAdd(name: "x-amz-content-sha256", value: payloadHash)
        if let token = credentials.sessionToken { headers.replaceOrAdd(name: "x-amz-security-token", value: token) }

        let encodedPath = Self.uriEncode(path.isEmpty ? "/" : path, keepingSlashes: true)
        let encodedPairs: [(name: String, value: String)] = query.map { pair in
            (Self.uriEncode(pair.name, keepingSlashes: false), Self.uriEncode(pair.value, keepingSlashes: false))
        }
        let sortedPairs = encodedPairs.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let encodedQuery = sortedPairs.map { pair in "\(pair.name)=\(pair.value)" }.joined(separator: "&")
        // Lowercased names, sorted; values trimmed with inner runs of spaces collapsed; repeated
        // names joined by commas.
        var canonical: [String: [String]] = [:]
        for (name, value) in headers {
            let value = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            canonical[name.lowercased(), default: []].append(value)
        }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalHeaders = names.map { "\($0):\(canonical[$0]!.joined(separator: ","))\n" }.joined()
        let canonicalRequest = [method, encodedPath, encodedQuery, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope, SHA256.hash(data: Data(canonicalRequest.utf8)).hexDigits]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexDigits
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope),SignedHeaders=\(signedHeaders),Signature=\(signature)"
        headers.replaceOrAdd(name: "authorization", value: authorization)
        return SignedRequest(
            encodedPath: encodedPath,
            encodedQuery: encodedQuery,
            headers: headers,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature
        )
    }

    /// Hex SHA-256 of a body held in memory, for `x-amz-content-sha256`.
    public static func payloadHash(_ body: ByteBuffer) -> String {
        body.withUnsafeReadableBytes { SHA256.hash(data: $0).hexDigits }
    }

    /// AWS's URI encoding: everything but `A-Z a-z 0-9 - . _ ~` as `%XX` of its UTF-8 bytes
    /// (uppercase hex), `/` kept only in paths. Stricter than RFC 3986: `$`, `+`, `!`… are escaped.
    public static func uriEncode(_ string: String, keepingSlashes: Bool) -> String {
        var encoded = ""
        encoded.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                encoded.append("/")
            default:
                let hexDigits = Array("0123456789ABCDEF")
                encoded += "%\(hexDigits[Int(byte >> 4)])\(hexDigits[Int(byte & 0xF)])"
            }
        }
        return encoded
    }
}

/// What `SigV4Signer.sign` made: the headers to send (signature included) and, for tests and
/// troubleshooting, each intermediate step. Printing it shows no header values (they may hold a
/// session token).
public struct SignedRequest: Sendable, CustomStringConvertible, CustomReflectable {
    /// The path and query string to send, exactly as signed.
    public var encodedPath: String
    public var encodedQuery: String
    /// The caller's headers plus `x-amz-date`, `x-amz-content-sha256`, the session token and `authorization`.
    public var headers: HTTPHeaders
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String

    public var description: String { "SignedRequest(\(encodedPath)?\(encodedQuery), signature: \(signature))" }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
