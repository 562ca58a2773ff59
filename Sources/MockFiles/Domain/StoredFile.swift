/// A file's metadata as the store keeps it. `sequence` breaks `createdAt` ties so that
/// listing has a total order (docs/design.md, "Paging has a total order").
public struct StoredFile: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var purpose: String
    public var filename: String
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64?
    /// When the simulated processing finishes (Unix milliseconds); `nil` means processed at creation.
    public var processedAtMilliseconds: Int64?
    /// Assigned by the store on insert; monotonic.
    public var sequence: Int64
    /// SHA-256 of the bytes (hex), computed as they streamed in; nil for files stored before
    /// digests were kept. Shown through the admin API only, never in the File object.
    public var sha256: String?
    /// The content type the client sent with the bytes (the file part's, or the Upload's `mime_type`).
    public var contentType: String?

    public init(
        id: String,
        tenant: String,
        purpose: String,
        filename: String,
        bytes: Int64,
        createdAt: Int64,
        expiresAt: Int64?,
        processedAtMilliseconds: Int64? = nil,
        sequence: Int64 = 0,
        sha256: String? = nil,
        contentType: String? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.purpose = purpose
        self.filename = filename
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.processedAtMilliseconds = processedAtMilliseconds
        self.sequence = sequence
        self.sha256 = sha256
        self.contentType = contentType
    }

    /// Expired files are invisible from the moment they expire, before the sweeper runs.
    public func isVisible(at now: Int64) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt > now
    }

    public var cursor: ListCursor { ListCursor(createdAt: createdAt, sequence: sequence) }
}

/// A position in the total order of files: (created_at, sequence).
public struct ListCursor: Sendable, Equatable, Comparable {
    public var createdAt: Int64
    public var sequence: Int64

    public init(createdAt: Int64, sequence: Int64) {
        self.createdAt = createdAt
        self.sequence = sequence
    }

    public static func < (lhs: ListCursor, rhs: ListCursor) -> Bool {
        (lhs.createdAt, lhs.sequence) < (rhs.createdAt, rhs.sequence)
    }
}
