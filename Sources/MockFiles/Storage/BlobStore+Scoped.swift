extension BlobStore {
    /// Runs `body` with a new blob. Unless `body` commits it, the blob is discarded when `body`
    /// returns or throws, so no temp file outlives a failed request (swift-nio's `withFileHandle`
    /// is the model). The discard runs in a task of its own: a cancelled request still cleans up.
    public func withNewBlob<Result>(_ body: (any BlobWriter) async throws -> Result) async throws -> Result {
        try await Self.scoped(try await makeWriter(), body)
    }

    /// `withNewBlob` for a blob holding the committed blobs `ids` back to back, with their digests.
    public func withNewBlob<Result>(
        concatenating ids: [String],
        computingMD5: Bool,
        _ body: (any BlobWriter, JoinedDigests) async throws -> Result
    ) async throws -> Result {
        let (writer, digests) = try await makeWriter(concatenating: ids, computingMD5: computingMD5)
        return try await Self.scoped(writer) { try await body($0, digests) }
    }

    /// `withNewBlob` for a blob holding a copy of a local file.
    public func withNewBlob<Result>(copyingFileAt path: String, _ body: (any BlobWriter) async throws -> Result) async throws -> Result {
        try await Self.scoped(try await makeWriter(copyingFileAt: path), body)
    }

    /// Runs `body` with the committed blob `id` open for reading, or answers nil when there is
    /// none. The reader is closed however `body` ends, in a task of its own as writers are
    /// discarded, so no descriptor or connection outlives its use.
    public func withBlobReader<Result>(id: String, _ body: (any BlobReader) async throws -> Result) async throws -> Result? {
        guard let reader = try await openBlob(id: id) else { return nil }
        let result: Result
        do {
            result = try await body(reader)
        } catch {
            await Task { await reader.close() }.value
            throw error
        }
        await Task { await reader.close() }.value
        return result
    }

    private static func scoped<Result>(_ writer: any BlobWriter, _ body: (any BlobWriter) async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body(writer)
        } catch {
            await Task { await writer.discard() }.value
            throw error
        }
        await Task { await writer.discard() }.value
        return result
    }
}
