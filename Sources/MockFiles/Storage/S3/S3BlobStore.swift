import Foundation
import Logging
import NIOCore
import NIOFileSystem
import ServiceLifecycle

/// Blobs as objects in an S3-compatible bucket: `blobs/<id>` once committed, `staging/<uuid>`
/// while a large one is being written (a multipart upload). Small blobs never touch staging: they
/// stay in memory until `commit` puts them under their final key in one request.
///
/// The write contract matches the disk store's: nothing is visible under `blobs/<id>` until
/// `commit(as:)` returns, and the object is complete in S3 (S3 acknowledges a PUT or a completed
/// multipart upload only once it is durable) before any row may point at it.
public struct S3BlobStore: BlobStore {
    let client: S3Client
    /// Bytes kept in memory before a part goes out; S3 wants at least 5 MiB per part but the last.
    static let partSize = 8 * 1024 * 1024
    /// UploadPartCopy refuses parts under 5 MiB (but the last): below that, bytes are streamed.
    static let minimumCopyPartSize: Int64 = 5 * 1024 * 1024

    init(client: S3Client) {
        self.client = client
    }

    static func key(for id: String) -> String { "blobs/\(id)" }
    static let stagingPrefix = "staging/"

    public func makeWriter() async throws -> any BlobWriter {
        S3BlobWriter(client: client)
    }

    public func makeWriter(copyingFileAt path: String) async throws -> any BlobWriter {
        let writer = S3BlobWriter(client: client)
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                for try await chunk in handle.readChunks(chunkLength: .mebibytes(1)) { try await writer.write(chunk) }
            }
            return writer
        } catch {
            await writer.discard()
            throw error
        }
    }

    public func openBlob(id: String) async throws -> (any BlobReader)? {
        guard ServerID.isWellFormed(id), let head = try await client.headObject(key: Self.key(for: id)) else { return nil }
        return S3BlobReader(client: client, key: Self.key(for: id), size: head.size)
    }

    public func removeBlob(id: String) async throws {
        guard ServerID.isWellFormed(id) else { return }
        try await client.deleteObject(key: Self.key(for: id))
    }

    /// S3 has no rename: a server-side copy (acknowledged once durable), then the source goes.
    public func moveBlobs(_ moves: [BlobMove]) async throws {
        for move in moves {
            guard ServerID.isWellFormed(move.from), ServerID.isWellFormed(move.to) else { throw BlobMoveError.unsafeID(move.from, move.to) }
            try await client.copyObject(from: Self.key(for: move.from), size: move.size, to: Self.key(for: move.to))
            try await client.deleteObject(key: Self.key(for: move.from))
        }
    }

    /// One group: the listing pages through `blobs/` a thousand keys at a time and keeps only ids.
    public func blobGroups() async throws -> [String] { ["blobs/"] }

    public func blobIDs(inGroup group: String, modifiedBefore cutoff: Double) async throws -> [String] {
        var ids: [String] = []
        var token: String?
        repeat {
            let page = try await client.listObjectsV2(prefix: group, continuationToken: token)
            for object in page.objects where object.lastModified.timeIntervalSince1970 < cutoff {
                let id = String(object.key.dropFirst(group.count))
                if ServerID.isWellFormed(id) { ids.append(id) }
            }
            token = page.nextContinuationToken
        } while token != nil
        return ids
    }

    /// Multipart uploads and staged objects an earlier process (or a crashed instance) left
    /// behind. Only those older than `cutoff`: another live instance may be writing newer ones.
    public func removeStaleTemporaryFiles(olderThan cutoff: Double) async throws -> Int {
        var removed = 0
        for upload in try await client.listMultipartUploads(prefix: Self.stagingPrefix)
        where upload.initiated.timeIntervalSince1970 < cutoff {
            try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            removed += 1
        }
        var token: String?
        repeat {
            let page = try await client.listObjectsV2(prefix: Self.stagingPrefix, continuationToken: token)
            for object in page.objects where object.lastModified.timeIntervalSince1970 < cutoff {
                try await client.deleteObject(key: object.key)
                removed += 1
            }
            token = page.nextContinuationToken
        } while token != nil
        return removed
    }
}

/// A committed object, read with Range requests as the download asks. Unlike a file handle, an
/// object deleted mid-download ends the download with an error rather than its old bytes.
struct S3BlobReader: BlobReader {
    let client: S3Client
    let key: String
    let size: Int64

    func read(range: Range<Int64>, chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        guard !range.isEmpty else { return }
        try await client.getObject(key: key, range: range == 0..<size ? nil : range) { chunk in try await body(chunk) }
    }

    func close() async {}
}

/// Shuts the S3 client's HTTP connections down after the server has drained.
struct S3ClientService: Service {
    let client: S3Client

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
