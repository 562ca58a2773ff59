import Foundation
import NIOCore

/// A blob on its way into S3. Up to one part (8 MiB) waits in memory; beyond that, parts stream
/// into a multipart upload under `staging/`, so memory stays bounded whatever the size. `commit`
/// puts a small blob straight under its key, or completes the staged upload and copies it there
/// on the server side (no byte passes through this process again).
actor S3BlobWriter: BlobWriter {
    let client: S3Client
    private(set) var bytesWritten: Int64 = 0
    /// Bytes not yet sent as a part.
    private var pending = ByteBuffer()
    private var staging: (key: String, uploadID: String)?
    private var parts: [S3CompletedPart] = []
    /// Set once the staged upload is complete (readable, copyable).
    private var sealed = false
    private var committed = false

    init(client: S3Client) {
        self.client = client
    }

    func write(_ buffer: ByteBuffer) async throws {
        precondition(!sealed && !committed, "write after the blob was sealed or committed")
        bytesWritten += Int64(buffer.readableBytes)
        pending.writeImmutableBuffer(buffer)
        while pending.readableBytes >= S3BlobStore.partSize {
            try await sendPart(pending.readSlice(length: S3BlobStore.partSize)!)
            pending.discardReadBytes()
        }
    }

    /// Parts made on the server side from other objects (an Upload's parts), in order.
    func appendCopies(of sources: [(key: String, size: Int64)]) async throws {
        precondition(pending.readableBytes == 0 && !sealed, "copies go before any written byte")
        for source in sources {
            let staging = try await startStaging()
            let etag = try await client.uploadPartCopy(
                key: staging.key,
                uploadID: staging.uploadID,
                partNumber: parts.count + 1,
                sourceKey: source.key
            )
            parts.append(S3CompletedPart(partNumber: parts.count + 1, etag: etag))
            bytesWritten += source.size
        }
    }

    private func startStaging() async throws -> (key: String, uploadID: String) {
        if let staging { return staging }
        let key = S3BlobStore.stagingPrefix + UUID().uuidString
        let started = (key: key, uploadID: try await client.createMultipartUpload(key: key))
        staging = started
        return started
    }

    private func sendPart(_ part: ByteBuffer) async throws {
        let staging = try await startStaging()
        let etag = try await client.uploadPart(key: staging.key, uploadID: staging.uploadID, partNumber: parts.count + 1, body: part)
        parts.append(S3CompletedPart(partNumber: parts.count + 1, etag: etag))
    }

    /// Completes the staged upload, if there is one; returns its key (nil: the bytes are all in memory).
    private func seal() async throws -> String? {
        guard let staging else { return nil }
        if !sealed {
            if pending.readableBytes > 0 { try await sendPart(pending.readSlice(length: pending.readableBytes)!) }
            try await client.completeMultipartUpload(key: staging.key, uploadID: staging.uploadID, parts: parts)
            sealed = true
        }
        return staging.key
    }

    /// Not isolated: `body` is the caller's and stays in the caller's task.
    nonisolated func readBack(chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        if let key = try await seal() {
            try await client.getObject(key: key) { chunk in try await body(chunk) }
            return
        }
        var remaining = await pending
        while remaining.readableBytes > 0 {
            try await body(remaining.readSlice(length: min(chunkSize, remaining.readableBytes))!)
        }
    }

    func commit(as id: String) async throws {
        let key = S3BlobStore.key(for: id)
        if let stagedKey = try await seal() {
            try await client.copyObject(from: stagedKey, size: bytesWritten, to: key)
            committed = true
            try? await client.deleteObject(key: stagedKey)
        } else {
            try await client.putObject(key: key, body: pending)
            committed = true
        }
    }

    func discard() async {
        guard !committed, let staging else { return }
        if sealed {
            try? await client.deleteObject(key: staging.key)
        } else {
            try? await client.abortMultipartUpload(key: staging.key, uploadID: staging.uploadID)
        }
    }
}
