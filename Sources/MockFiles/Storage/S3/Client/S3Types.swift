import Foundation

/// What HEAD tells of an object.
public struct S3ObjectHead: Sendable, Hashable {
    public var size: Int64
    public var lastModified: Date
    /// As the server sent it (AWS quotes it: `"…"`).
    public var etag: String?
}

/// One object of a listing; `key` is relative to the configuration's key prefix.
public struct S3ObjectSummary: Sendable, Hashable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
}

/// One page of `listObjectsV2`; `nextContinuationToken` is nil on the last page.
public struct S3ObjectList: Sendable, Hashable {
    public var objects: [S3ObjectSummary]
    public var nextContinuationToken: String?
}

/// A multipart upload that was started and neither completed nor aborted.
public struct S3MultipartUpload: Sendable, Hashable {
    /// Relative to the configuration's key prefix.
    public var key: String
    public var uploadID: String
    public var initiated: Date
}

/// A part as `completeMultipartUpload` needs it: its number and the ETag its upload returned.
public struct S3CompletedPart: Sendable, Hashable {
    public var partNumber: Int
    public var etag: String

    public init(partNumber: Int, etag: String) {
        self.partNumber = partNumber
        self.etag = etag
    }
}
