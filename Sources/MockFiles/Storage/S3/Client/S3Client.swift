import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small S3 client over AsyncHTTPClient: the calls a blob store needs, nothing else.
///
/// Keys given to and returned by it are relative to `configuration.keyPrefix`.
public struct S3Client: Sendable {
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let ownsHTTPClient: Bool
    let signer: SigV4Signer
    let address: S3Configuration.Address
    /// Time allowed until the answer's head arrives (so it includes sending the request body);
    /// reading a body has no limit, since downloads stream at the consumer's pace.
    let timeout: TimeAmount
    let now: @Sendable () -> Date

    /// Uses `httpClient`, which stays the caller's to shut down.
    public init(
        configuration: S3Configuration,
        httpClient: HTTPClient,
        timeout: TimeAmount = .minutes(5),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        try self.init(configuration: configuration, sharedHTTPClient: httpClient, timeout: timeout, now: now)
    }

    /// Makes its own HTTPClient; call `shutdown()` when done.
    public init(configuration: S3Configuration, timeout: TimeAmount = .minutes(5), now: @escaping @Sendable () -> Date = { Date() }) throws {
        try self.init(configuration: configuration, sharedHTTPClient: nil, timeout: timeout, now: now)
    }

    private init(configuration: S3Configuration, sharedHTTPClient: HTTPClient?, timeout: TimeAmount, now: @escaping @Sendable () -> Date) throws {
        self.configuration = configuration
        self.address = try configuration.address()  // before making a client that would need a shutdown
        self.httpClient = sharedHTTPClient ?? HTTPClient(eventLoopGroupProvider: .singleton)
        self.ownsHTTPClient = sharedHTTPClient == nil
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.timeout = timeout
        self.now = now
    }

    /// Shuts down the HTTPClient if this client made it; otherwise does nothing.
    public func shutdown() async throws {
        if ownsHTTPClient { try await httpClient.shutdown() }
    }

    /// The body of a request, and how it is vouched for in the signature.
    enum Payload {
        case none
        /// Hashed into the signature: S3 refuses the request if a byte differs.
        case signed(ByteBuffer)
        /// `UNSIGNED-PAYLOAD`: large parts are not hashed twice on the request path.
        case unsigned(ByteBuffer)
    }

    /// Signs and sends one request; `key` nil addresses the bucket. The answer's body is left to
    /// the caller, who must consume it (see `check` and `collect`).
    func execute(
        _ method: HTTPMethod,
        key: String? = nil,
        query: [(name: String, value: String)] = [],
        headers extraHeaders: HTTPHeaders = [:],
        payload: Payload = .none
    ) async throws -> HTTPClientResponse {
        var path = address.bucketPath
        if let key { path += "/" + configuration.keyPrefix + key }
        var headers = extraHeaders
        headers.replaceOrAdd(name: "host", value: address.hostHeader)
        let payloadHash: String
        var body: ByteBuffer?
        switch payload {
        case .none: payloadHash = SigV4Signer.emptyPayloadHash
        case .signed(let buffer): (payloadHash, body) = (SigV4Signer.payloadHash(buffer), buffer)
        case .unsigned(let buffer): (payloadHash, body) = (SigV4Signer.unsignedPayload, buffer)
        }
        // The raw path is percent-encoded by the signer; what it signed is what is sent.
        let signed = signer.sign(method: method.rawValue, path: path, query: query, headers: headers, payloadHash: payloadHash, date: now())
        var url = address.origin + signed.encodedPath
        if !signed.encodedQuery.isEmpty { url += "?" + signed.encodedQuery }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = signed.headers
        if let body { request.body = .bytes(body) }
        return try await httpClient.execute(request, timeout: timeout)
    }

    /// Throws the S3 error an answer carries (reading its body); 2xx answers pass.
    func check(_ response: HTTPClientResponse) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let body = try await response.body.collect(upTo: Self.maxErrorBody)
        throw S3Error.from(status: Int(response.status.code), body: body, requestID: response.headers.first(name: "x-amz-request-id"))
    }

    /// The whole body of a successful answer, parsed as XML. Copy and complete can fail after
    /// their 200 is sent, so an `<Error>` root is thrown like an error status.
    func collectXML(_ response: HTTPClientResponse) async throws -> XMLTree {
        try await check(response)
        let body = try await response.body.collect(upTo: Self.maxXMLBody)
        guard let tree = XMLTree.parse(body) else {
            throw S3Error.invalidResponse("expected an XML document", status: Int(response.status.code))
        }
        if tree.name == "Error" { throw S3Error.from(status: Int(response.status.code), body: body, requestID: nil) }
        return tree
    }

    /// The ETag header of an answer, which part uploads must return.
    func etag(of response: HTTPClientResponse) throws -> String {
        guard let etag = response.headers.first(name: "etag") else { throw S3Error.invalidResponse("answer without ETag") }
        return etag
    }

    static let maxErrorBody = 64 << 10
    /// A list page of 1000 long keys stays well under this.
    static let maxXMLBody = 16 << 20
}
