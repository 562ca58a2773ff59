import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOFileSystem
import NIOPosix

/// The writer of a data directory deleted at exit (`serve --ephemeral`, `DiskBlobStore.syncs`
/// false). Bytes gather in memory, as `DiskBlobWriter` gathers its first batch anyway; a file
/// that stays under a batch is written at commit in one job on the blocking pool: create a temp
/// file, write, close, rename to its id. `DiskBlobWriter` spends a job on each of open, write,
/// close and rename, and each job is two thread wake-ups, most of a small upload's wait once
/// nothing is synced (bench/README.md, row 6e). A larger file goes to a `DiskBlobWriter` as soon
/// as it passes a batch.
///
/// Readers still never see part of a file: the bytes get their name by a rename once all of them
/// are written, as in the durable writer, only with no fsync before or after.
final class EphemeralBlobWriter: BlobWriter {
    private struct State {
        var pending = ByteBuffer()
        /// Where the bytes went once they passed a batch; from then on every call goes to it.
        var spilled: DiskBlobWriter?
        var committed = false
    }

    let store: DiskBlobStore
    private let state = NIOLockedValueBox(State())

    init(store: DiskBlobStore) {
        self.store = store
    }

    var bytesWritten: Int64 {
        get async {
            let (pending, spilled) = state.withLockedValue { ($0.pending.readableBytes, $0.spilled) }
            return spilled?.bytesWritten ?? Int64(pending)
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        if let spilled = state.withLockedValue({ $0.spilled }) {
            try await spilled.write(buffer)
            return
        }
        let batch: ByteBuffer? = state.withLockedValue { state in
            let needed = state.pending.readableBytes + buffer.readableBytes
            if needed > state.pending.capacity, needed > DiskBlobWriter.smallFileBytes {
                // As `DiskBlobWriter`: room for a whole batch once instead of doubling up to it.
                state.pending.reserveCapacity(DiskBlobWriter.batchSize)
            }
            state.pending.writeImmutableBuffer(buffer)
            guard state.pending.readableBytes >= DiskBlobWriter.batchSize else { return nil }
            defer { state.pending = ByteBuffer() }
            return state.pending
        }
        guard let batch else { return }
        let disk = try await store.makeDiskWriter()
        state.withLockedValue { $0.spilled = disk }
        try await disk.write(batch)
    }

    func readBack(chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        let (pending, spilled) = state.withLockedValue { ($0.pending, $0.spilled) }
        if let spilled { return try await spilled.readBack(chunkSize: chunkSize, body) }
        var bytes = pending
        while bytes.readableBytes > 0, let chunk = bytes.readSlice(length: min(chunkSize, bytes.readableBytes)) {
            try await body(chunk)
        }
    }

    func commit(as id: String) async throws {
        precondition(ServerID.isWellFormed(id), "blob ids are server-made")
        let (pending, spilled) = state.withLockedValue { ($0.pending, $0.spilled) }
        if let spilled { return try await spilled.commit(as: id) }
        let temporary = store.temporaryDirectory.appending(Self.temporaryName()).string
        let (shard, final) = (store.shardDirectory(for: id).string, store.path(for: id).string)
        let state = self.state
        try await NIOThreadPool.singleton.runIfActive {
            try Self.writeFile(pending, at: temporary)
            try Self.rename(temporary, to: final, makingDirectory: shard)
            state.withLockedValue { $0.committed = true }
        }
    }

    func discard() async {
        let (committed, spilled) = state.withLockedValue { ($0.committed, $0.spilled) }
        // A commit that failed removed its own temp file; an uncommitted one never made any.
        if !committed, let spilled { await spilled.discard() }
    }

    /// Names unique in this process without a `UUID` (which reads `/dev/urandom` each time): a
    /// random stem chosen once and a counter. The temp file is created exclusively all the same.
    static let temporaryStem = "e-\(UUID().uuidString)"
    static let temporaryCounter = NIOLockedValueBox<UInt64>(0)

    static func temporaryName() -> String {
        let number = temporaryCounter.withLockedValue { counter in
            counter += 1
            return counter
        }
        return "\(temporaryStem)-\(number).part"
    }

    /// Creates `path` (it must not exist) holding `bytes`; removes it again on failure.
    static func writeFile(_ bytes: ByteBuffer, at path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BlobStoreError.io("open", errno) }
        do {
            try bytes.withUnsafeReadableBytes { buffer in
                if let base = buffer.baseAddress { try DiskBlobStore.writeAll(descriptor, base, buffer.count) }
            }
        } catch {
            close(descriptor)
            unlink(path)
            throw error
        }
        guard close(descriptor) == 0 else {
            let error = errno
            unlink(path)
            throw BlobStoreError.io("close", error)
        }
    }

    /// Renames `from` to `to`, making `to`'s directory first when it is missing; removes `from`
    /// when the rename fails.
    static func rename(_ from: String, to: String, makingDirectory directory: String) throws {
        if Glibc.rename(from, to) == 0 { return }
        var error = errno
        if error == ENOENT, mkdir(directory, 0o755) == 0 || errno == EEXIST {
            if Glibc.rename(from, to) == 0 { return }
            error = errno
        }
        unlink(from)
        throw BlobStoreError.io("rename", error)
    }
}
