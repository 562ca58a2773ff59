import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Stores a small object in one request; returns its ETag. The body is hashed into the
    /// signature, so S3 stores exactly these bytes or refuses.
    @discardableResult
    public func putObject(key: String, body: ByteBuffer, contentType: String? = nil) async throws -> String {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "content-type", value: contentType) }
        let response = try await execute(.PUT, key: key, headers: headers, payload: .signed(body))
        try await check(response)
        return try etag(of: response)
    }

    /// Streams an object, or `range` of it, to `body` chunk by chunk as they arrive; the next
    /// chunk is read only once `body` returns, so memory stays one chunk whatever the size.
    /// Throws `NoSuchKey` for a missing object, and `invalidResponse` if fewer bytes arrive
    /// than the server announced.
    public func getObject(key: String, range: Range<Int64>? = nil, _ body: (ByteBuffer) async throws -> Void) async throws {
        if let range, range.isEmpty { return }  // HTTP cannot ask for zero bytes
        var headers = HTTPHeaders()
        if let range { headers.add(name: "range", value: "bytes=\(range.lowerBound)-\(range.upperBound - 1)") }
        let response = try await execute(.GET, key: key, headers: headers)
        try await check(response)
        // A server that ignores Range answers 200 with the whole object: never pass that off as the range.
        if let range {
            guard response.status == .partialContent, response.headers.first(name: "content-range")?.hasPrefix("bytes \(range.lowerBound)-") == true
            else { throw S3Error.invalidResponse("asked for bytes from \(range.lowerBound), got another answer", status: Int(response.status.code)) }
        }
        let expected = response.headers.first(name: "content-length").flatMap { Int64($0) }
        var received: Int64 = 0
        for try await chunk in response.body {
            received += Int64(chunk.readableBytes)
            try await body(chunk)
        }
        if let expected, received != expected { throw S3Error.invalidResponse("body ended after \(received) of \(expected) bytes") }
    }

    /// Size, last modification and ETag of an object; nil when there is none (HEAD answers
    /// carry no body, so a missing bucket is nil too).
    public func headObject(key: String) async throws -> S3ObjectHead? {
        let response = try await execute(.HEAD, key: key)
        if response.status == .notFound { return nil }
        try await check(response)
        guard let size = response.headers.first(name: "content-length").flatMap({ Int64($0) }),
            let lastModified = response.headers.first(name: "last-modified").flatMap(S3Date.parseHTTPDate)
        else { throw S3Error.invalidResponse("HEAD answer without Content-Length or Last-Modified") }
        return S3ObjectHead(size: size, lastModified: lastModified, etag: response.headers.first(name: "etag"))
    }

    /// Deletes an object; a missing object is not an error (a missing bucket is).
    public func deleteObject(key: String) async throws {
        try await ignoringNotFound(except: "NoSuchBucket") { try await check(execute(.DELETE, key: key)) }
    }

    /// Copies an object within the bucket on the server side; returns the copy's ETag.
    @discardableResult
    public func copyObject(from sourceKey: String, to key: String) async throws -> String {
        let headers: HTTPHeaders = ["x-amz-copy-source": copySource(sourceKey)]
        let result = try await collectXML(execute(.PUT, key: key, headers: headers))
        guard let etag = result.value("ETag") else { throw S3Error.invalidResponse("CopyObjectResult without ETag") }
        return etag
    }

    /// One page of the objects whose keys start with `prefix`, in key order. Pass the previous
    /// page's `nextContinuationToken` to get the next.
    public func listObjectsV2(prefix: String = "", continuationToken: String? = nil, maxKeys: Int? = nil) async throws -> S3ObjectList {
        var query = [(name: "list-type", value: "2"), (name: "prefix", value: configuration.keyPrefix + prefix)]
        if let continuationToken { query.append((name: "continuation-token", value: continuationToken)) }
        if let maxKeys { query.append((name: "max-keys", value: String(maxKeys))) }
        let result = try await collectXML(execute(.GET, query: query))
        let objects = try result.children("Contents").map { entry in
            guard let key = entry.value("Key"), let size = entry.value("Size").flatMap({ Int64($0) }),
                let lastModified = entry.value("LastModified").flatMap(S3Date.parseISO8601)
            else { throw S3Error.invalidResponse("list entry without Key, Size or LastModified") }
            return S3ObjectSummary(key: try unprefixed(key), size: size, lastModified: lastModified)
        }
        let next = result.value("IsTruncated") == "true" ? result.value("NextContinuationToken") : nil
        if result.value("IsTruncated") == "true", next == nil { throw S3Error.invalidResponse("truncated list without a continuation token") }
        return S3ObjectList(objects: objects, nextContinuationToken: next)
    }

    /// `x-amz-copy-source`: `/BUCKET/KEY`, URL-encoded as a path.
    func copySource(_ sourceKey: String) -> String {
        SigV4Signer.uriEncode("/\(configuration.bucket)/\(configuration.keyPrefix)\(sourceKey)", keepingSlashes: true)
    }

    /// A key as the caller named it; S3 keys outside the prefix would mean the prefix filter failed.
    func unprefixed(_ key: String) throws -> String {
        guard key.hasPrefix(configuration.keyPrefix) else { throw S3Error.invalidResponse("key outside the prefix: \(key)") }
        return String(key.dropFirst(configuration.keyPrefix.count))
    }

    /// Runs `body`, swallowing a 404 unless its S3 code is `code` (idempotent deletes).
    func ignoringNotFound(except code: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as S3Error where error.status == 404 && error.code != code {
            return
        }
    }
}
