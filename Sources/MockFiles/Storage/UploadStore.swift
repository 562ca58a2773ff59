/// The Upload and part rows' reads (`FileStore.reads`).
public protocol UploadReads: Sendable {
    func upload(id: String, tenant: String) async throws -> StoredUpload?
    func parts(ofUpload uploadID: String) async throws -> [StoredPart]
    /// Every tenant's Uploads still taking parts (expired ones not yet swept included), oldest first.
    func pendingUploads() async throws -> [StoredUpload]
    /// A tenant's Uploads of every status, newest first (`created_at`, then id), at most `limit`,
    /// after the position `before` when given (the dashboard's pages).
    func uploads(tenant: String, limit: Int, before: (createdAt: Int64, id: String)?) async throws -> [StoredUpload]
}

/// Upload and part metadata, with the transactions that keep an Upload's rules atomic. Its
/// writes are `FileStore`'s to make.
public protocol UploadStore: UploadReads {
    func insertUpload(_ upload: StoredUpload) async throws
    /// Inserts the part only if its upload is still open at `now`; returns false otherwise. Throws
    /// `PartExceedsUpload` when the upload's parts would then hold more than its `bytes`: the
    /// check and the insert are one step against concurrent parts of the same upload.
    func insertPart(_ part: StoredPart, tenant: String, now: Int64) async throws -> Bool
    /// In one transaction: the file row appears, the upload becomes completed and all its part
    /// rows go (also parts added while the File was being assembled). Returns the inserted file and
    /// the removed parts, or nil when the upload was no longer open.
    func complete(uploadID: String, tenant: String, file: StoredFile, now: Int64) async throws -> (StoredFile, [StoredPart])?
    /// Marks an open upload cancelled and drops its part rows; returns the removed parts, or nil when not open.
    func cancel(uploadID: String, tenant: String, now: Int64) async throws -> [StoredPart]?
    /// Drops the part rows of uploads that expired before `now`, returning them (for blob removal).
    func removeExpiredUploadParts(now: Int64, limit: Int) async throws -> [StoredPart]
    /// Of `ids`, those that have a part row.
    func existingPartIDs(among ids: [String]) async throws -> Set<String>
}

/// A part refused because the upload's parts would hold more than the upload declared.
public struct PartExceedsUpload: Error, Sendable, Equatable {
    /// The upload's `bytes`.
    public var declared: Int64
    /// What its parts held before this one.
    public var received: Int64
    public var partBytes: Int64
}
