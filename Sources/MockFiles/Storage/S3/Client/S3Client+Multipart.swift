import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Multipart uploads: large objects in parts of at least 5 MiB (except the last), and objects
/// assembled server-side from other objects (`uploadPartCopy`) without moving their bytes.
extension S3Client {
    /// Starts an upload; returns its upload id.
    public func createMultipartUpload(key: String, contentType: String? = nil) async throws -> String {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "content-type", value: contentType) }
        let result = try await collectXML(execute(.POST, key: key, query: [(name: "uploads", value: "")], headers: headers))
        guard let uploadID = result.value("UploadId") else { throw S3Error.invalidResponse("InitiateMultipartUploadResult without UploadId") }
        return uploadID
    }

    /// Uploads part `partNumber` (1…10000); returns its ETag for `completeMultipartUpload`.
    /// Sent as `UNSIGNED-PAYLOAD`: parts are the large bodies, and are not hashed before sending.
    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer) async throws -> String {
        let response = try await execute(.PUT, key: key, query: partQuery(uploadID, partNumber), payload: .unsigned(body))
        try await check(response)
        return try etag(of: response)
    }

    /// Makes part `partNumber` from an existing object, or `sourceRange` of it, on the server
    /// side; returns the part's ETag.
    public func uploadPartCopy(
        key: String,
        uploadID: String,
        partNumber: Int,
        sourceKey: String,
        sourceRange: Range<Int64>? = nil
    ) async throws -> String {
        var headers: HTTPHeaders = ["x-amz-copy-source": copySource(sourceKey)]
        if let sourceRange {
            guard !sourceRange.isEmpty else { throw S3Error.invalidRequest("an empty source range cannot be copied") }
            headers.add(name: "x-amz-copy-source-range", value: "bytes=\(sourceRange.lowerBound)-\(sourceRange.upperBound - 1)")
        }
        let result = try await collectXML(execute(.PUT, key: key, query: partQuery(uploadID, partNumber), headers: headers))
        guard let etag = result.value("ETag") else { throw S3Error.invalidResponse("CopyPartResult without ETag") }
        return etag
    }

    /// Joins the parts, in the order given (ascending part numbers), into the object; returns its ETag.
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [S3CompletedPart]) async throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(XMLTree.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let headers: HTTPHeaders = ["content-type": "application/xml"]
        let response = try await execute(
            .POST,
            key: key,
            query: [(name: "uploadId", value: uploadID)],
            headers: headers,
            payload: .signed(ByteBuffer(string: xml))
        )
        let result = try await collectXML(response)
        guard let etag = result.value("ETag") else { throw S3Error.invalidResponse("CompleteMultipartUploadResult without ETag") }
        return etag
    }

    /// Drops an upload and its parts; an upload already gone is not an error (a missing bucket is).
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        try await ignoringNotFound(except: "NoSuchBucket") {
            try await check(execute(.DELETE, key: key, query: [(name: "uploadId", value: uploadID)]))
        }
    }

    /// Every upload in progress whose key starts with `prefix`, for removing the ones a crash
    /// abandoned (they cost storage until aborted). Follows the pages itself: such uploads are few.
    public func listMultipartUploads(prefix: String = "") async throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query = [(name: "uploads", value: ""), (name: "prefix", value: configuration.keyPrefix + prefix)]
            if let markers { query += [(name: "key-marker", value: markers.key), (name: "upload-id-marker", value: markers.uploadID)] }
            let result = try await collectXML(execute(.GET, query: query))
            for upload in result.children("Upload") {
                guard let key = upload.value("Key"), let uploadID = upload.value("UploadId"),
                    let initiated = upload.value("Initiated").flatMap(S3Date.parseISO8601)
                else { throw S3Error.invalidResponse("Upload entry without Key, UploadId or Initiated") }
                uploads.append(S3MultipartUpload(key: try unprefixed(key), uploadID: uploadID, initiated: initiated))
            }
            markers = nil
            if result.value("IsTruncated") == "true" {
                guard let key = result.value("NextKeyMarker"), let uploadID = result.value("NextUploadIdMarker") else {
                    throw S3Error.invalidResponse("truncated upload list without markers")
                }
                markers = (key, uploadID)
            }
        } while markers != nil
        return uploads
    }

    private func partQuery(_ uploadID: String, _ partNumber: Int) -> [(name: String, value: String)] {
        [(name: "partNumber", value: String(partNumber)), (name: "uploadId", value: uploadID)]
    }
}

extension S3Client {
    /// CopyObject copies at most 5 GiB in one request; larger objects are copied part by part.
    static let maximumSingleCopySize: Int64 = 5 * 1024 * 1024 * 1024

    /// Server-side copy of a complete object of `size` bytes: one CopyObject up to 5 GiB, a
    /// multipart upload of copied ranges above that.
    func copyObject(from sourceKey: String, size: Int64, to key: String) async throws {
        guard size > Self.maximumSingleCopySize else {
            try await copyObject(from: sourceKey, to: key)
            return
        }
        let uploadID = try await createMultipartUpload(key: key)
        do {
            var parts: [S3CompletedPart] = []
            var offset: Int64 = 0
            while offset < size {
                let end = min(size, offset + Self.maximumSingleCopySize)
                let etag = try await uploadPartCopy(
                    key: key,
                    uploadID: uploadID,
                    partNumber: parts.count + 1,
                    sourceKey: sourceKey,
                    sourceRange: offset..<end
                )
                parts.append(S3CompletedPart(partNumber: parts.count + 1, etag: etag))
                offset = end
            }
            try await completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        } catch {
            try? await abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
    }
}
