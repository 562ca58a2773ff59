import Hummingbird

extension ResponseBody {
    /// Bytes per read from the blob store while streaming a download.
    static let downloadChunkBytes = 256 * 1024

    /// A body that streams `range` of a stored blob: the API's download and the dashboard's. The
    /// blob is opened when the body is written, scoped to it, so a client that leaves before then
    /// holds nothing open; one deleted in that instant ends the connection, as it would a cut download.
    static func blob(_ id: String, from store: FileStore, range: Range<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound)) { writer in
            let streamed: Void? = try await store.withBlobReader(id: id) { reader in
                try await reader.read(range: range, chunkSize: downloadChunkBytes) { chunk in try await writer.write(chunk) }
            }
            guard streamed != nil else { throw BlobStoreError.missingBlob(id) }
            try await writer.finish(nil)
        }
    }
}
