import Crypto
import Foundation
import NIOCore

extension S3BlobStore {
    /// An Upload's parts joined into one blob. When S3 can assemble them itself (no MD5 asked,
    /// every part but the last at least 5 MiB) the parts are copied on the server side and only
    /// read through, chunk by chunk, for their SHA-256; otherwise they stream through, hashed.
    public func makeWriter(concatenating ids: [String], computingMD5: Bool) async throws -> (any BlobWriter, digests: JoinedDigests) {
        var sources: [(key: String, size: Int64)] = []
        for id in ids {
            guard ServerID.isWellFormed(id), let head = try await client.headObject(key: Self.key(for: id)) else {
                throw BlobStoreError.missingBlob(id)
            }
            sources.append((Self.key(for: id), head.size))
        }
        let writer = S3BlobWriter(client: client)
        do {
            let copyable =
                !computingMD5 && !sources.isEmpty && sources.allSatisfy { $0.size > 0 }
                && sources.dropLast().allSatisfy { $0.size >= Self.minimumCopyPartSize }
            if copyable {
                do {
                    try await writer.appendCopies(of: sources)
                } catch let error as S3Error where error.code == "NoSuchKey" {
                    // A concurrent cancel or complete removed a part after its HEAD.
                    throw BlobStoreError.missingBlob(ids.joined(separator: ","))
                }
            }
            var sha256 = SHA256()
            var md5 = Insecure.MD5()
            for (id, source) in zip(ids, sources) {
                do {
                    try await client.getObject(key: source.key) { chunk in
                        chunk.withUnsafeReadableBytes { bytes in
                            sha256.update(bufferPointer: bytes)
                            if computingMD5 { md5.update(bufferPointer: bytes) }
                        }
                        if !copyable { try await writer.write(chunk) }
                    }
                } catch let error as S3Error where error.code == "NoSuchKey" {
                    throw BlobStoreError.missingBlob(id)
                }
            }
            return (writer, JoinedDigests(sha256: sha256.finalize().hexDigits, md5: computingMD5 ? md5.finalize().hexDigits : nil))
        } catch {
            await writer.discard()
            throw error
        }
    }
}
