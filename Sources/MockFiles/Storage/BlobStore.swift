import NIOCore

/// Where file bytes live. Blobs are named by server-made ids only
/// (docs/design.md, "Blobs are named by server ids").
/// Kept behind a protocol so an object store can replace the local disk later.
public protocol BlobStore: Sendable {
    /// Starts a new blob in a temporary place; nothing is visible under `id` until `commit`.
    func makeWriter() async throws -> any BlobWriter
    /// Starts a new blob holding the committed blobs `ids` back to back (an Upload's parts), with
    /// the joined bytes' SHA-256 and, when asked for, MD5. Nothing is visible until `commit`.
    func makeWriter(concatenating ids: [String], computingMD5: Bool) async throws -> (any BlobWriter, digests: JoinedDigests)
    /// Starts a new blob holding a copy of a local file (fixtures).
    func makeWriter(copyingFileAt path: String) async throws -> any BlobWriter
    /// Opens a committed blob for streaming; `nil` when there is none.
    func openBlob(id: String) async throws -> (any BlobReader)?
    /// Removes a committed blob; a missing blob is not an error.
    func removeBlob(id: String) async throws
    /// Renames committed blobs, replacing any blob already under the new name; durable when it
    /// returns (a snapshot's staged blobs taking their ids). A missing source is an error.
    func moveBlobs(_ moves: [BlobMove]) async throws
    /// Names of the groups committed blobs are listed by, one group at a time, so that a scan of
    /// millions of blobs stays small in memory.
    func blobGroups() async throws -> [String]
    /// Ids of the committed blobs of one group last modified before `cutoff` (Unix seconds):
    /// recovery's candidates for orphans. Blobs newer than that may belong to an upload in flight.
    func blobIDs(inGroup group: String, modifiedBefore cutoff: Double) async throws -> [String]
    /// Removes temporary files last touched before `cutoff` (Unix seconds): those of an earlier process.
    func removeStaleTemporaryFiles(olderThan cutoff: Double) async throws -> Int
}

extension BlobStore {
    /// Every committed blob id last modified before `cutoff`.
    public func blobIDs(modifiedBefore cutoff: Double) async throws -> [String] {
        var ids: [String] = []
        for group in try await blobGroups() { ids += try await blobIDs(inGroup: group, modifiedBefore: cutoff) }
        return ids
    }
}

/// One committed blob to take another id (`BlobStore.moveBlobs`).
public struct BlobMove: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Its size, which an object store's server-side copy needs to know.
    public var size: Int64

    public init(from: String, to: String, size: Int64) {
        self.from = from
        self.to = to
        self.size = size
    }
}

/// What joining blobs learned of the bytes on the way (hex).
public struct JoinedDigests: Sendable, Equatable {
    public var sha256: String
    /// Only when asked for: it costs a second hash of every byte.
    public var md5: String?
}

/// A blob being written. Either `commit(as:)` or `discard()` ends it; prefer the scoped
/// `BlobStore.withNewBlob`, which discards whatever was not committed.
public protocol BlobWriter: Sendable {
    var bytesWritten: Int64 { get async }
    func write(_ buffer: ByteBuffer) async throws
    /// Reads the written bytes back in order (for validation before commit).
    func readBack(chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws
    /// Makes the bytes durable (fsync), then names them `id` durably (rename + directory fsync).
    func commit(as id: String) async throws
    /// Drops the bytes unless they were committed: the temp file, and the blob itself when a
    /// `commit` failed after naming it. Safe to call more than once.
    func discard() async
}

/// A committed blob opened for reading; the open handle keeps the bytes readable even if the
/// blob is deleted meanwhile.
public protocol BlobReader: Sendable {
    var size: Int64 { get }
    /// Hands `range` to `body` chunk by chunk, in order; the pace is the consumer's.
    func read(range: Range<Int64>, chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws
    func close() async
}

public enum BlobMoveError: Error, CustomStringConvertible {
    case unsafeID(String, String)
    case failed(from: String, to: String, reason: String)

    public var description: String {
        switch self {
        case .unsafeID(let from, let to): "cannot move blob \(from) to \(to): not a server-made id"
        case .failed(let from, let to, let reason): "cannot move blob \(from) to \(to): \(reason)"
        }
    }
}
