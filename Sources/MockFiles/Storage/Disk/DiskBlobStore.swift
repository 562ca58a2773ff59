import CDispatch  // Glibc's `struct stat` fields are declared in its module (MemberImportVisibility)
import CWriteback
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOFileSystem

/// One file per blob under `<data>/blobs/<xx>/<id>`, written through `<data>/tmp/`.
///
/// The write order is the reliability contract: temp file → fsync → rename → fsync of the
/// directory. Only then is the blob's name durable, and only then may a row point at it.
public struct DiskBlobStore: BlobStore {
    let blobsDirectory: FilePath
    let temporaryDirectory: FilePath
    let fileSystem = FileSystem.shared
    /// Shard directories whose entry in `blobs/` this process has made durable.
    let durableShards = NIOLockedValueBox<Set<String>>([])
    /// False for a data directory deleted at exit (`serve --ephemeral`): nothing is synced, since
    /// durability buys nothing there and each sync costs milliseconds on a laptop's disk.
    let syncs: Bool

    public init(dataDirectory: String, durable: Bool = true) throws {
        self.syncs = durable
        let root = FilePath(dataDirectory)
        self.blobsDirectory = root.appending("blobs")
        self.temporaryDirectory = root.appending("tmp")
        for directory in [blobsDirectory, temporaryDirectory] {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
        }
        // `blobs/` itself must be as durable as the shards below it.
        let descriptor = durable ? open(root.string, O_RDONLY | O_DIRECTORY) : -1
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
    }

    func shardDirectory(for id: String) -> FilePath {
        blobsDirectory.appending(String(id.suffix(2)))
    }

    func path(for id: String) -> FilePath {
        shardDirectory(for: id).appending(id)
    }

    public func makeWriter() async throws -> any BlobWriter {
        // Without syncs a small file is written in one go at commit (`EphemeralBlobWriter`).
        syncs ? try await makeDiskWriter() : EphemeralBlobWriter(store: self)
    }

    /// A writer streaming into a new temp file, opened now.
    func makeDiskWriter() async throws -> DiskBlobWriter {
        let path = temporaryDirectory.appending("\(UUID().uuidString).part")
        let handle = try await fileSystem.openFile(
            forWritingAt: path,
            options: .init(existingFile: .none, newFile: .init(permissions: nil, transactionalCreation: false))
        )
        return DiskBlobWriter(store: self, temporaryPath: path, handle: handle)
    }

    public func openBlob(id: String) async throws -> (any BlobReader)? {
        guard ServerID.isWellFormed(id) else { return nil }
        do {
            let handle = try await fileSystem.openFile(forReadingAt: path(for: id))
            let size = try await handle.info().size
            return DiskBlobReader(handle: handle, size: size)
        } catch let error as FileSystemError where error.code == .notFound {
            return nil
        }
    }

    public func removeBlob(id: String) async throws {
        guard ServerID.isWellFormed(id) else { return }
        _ = try await fileSystem.removeItem(at: path(for: id), strategy: .platformDefault, recursively: false)
    }

    /// Renames every blob, then makes each shard directory's renames durable with one sync.
    public func moveBlobs(_ moves: [BlobMove]) async throws {
        var touched: Set<String> = []
        for move in moves {
            guard ServerID.isWellFormed(move.from), ServerID.isWellFormed(move.to) else { throw BlobMoveError.unsafeID(move.from, move.to) }
            let shard = try await durableShardDirectory(for: move.to)
            guard rename(path(for: move.from).string, path(for: move.to).string) == 0 else {
                throw BlobMoveError.failed(from: move.from, to: move.to, reason: String(cString: strerror(errno)))
            }
            touched.insert(shard.string)
            touched.insert(shardDirectory(for: move.from).string)
        }
        for directory in touched.sorted() { try await synchronizeDirectory(FilePath(directory)) }
    }

    /// The shard directories under `blobs/`.
    public func blobGroups() async throws -> [String] {
        Self.entries(of: blobsDirectory).filter { $0.count == 2 && ServerID.isWellFormed($0) }
    }

    public func blobIDs(inGroup group: String, modifiedBefore cutoff: Double) async throws -> [String] {
        let shardDirectory = blobsDirectory.appending(group)
        return Self.entries(of: shardDirectory).filter { name in
            ServerID.isWellFormed(name) && (Self.modificationTime(of: shardDirectory.appending(name)) ?? cutoff) < cutoff
        }
    }

    public func removeStaleTemporaryFiles(olderThan cutoff: Double) async throws -> Int {
        var removed = 0
        for name in Self.entries(of: temporaryDirectory) {
            let path = temporaryDirectory.appending(name)
            guard (Self.modificationTime(of: path) ?? cutoff) < cutoff else { continue }
            if (try? FileManager.default.removeItem(atPath: path.string)) != nil { removed += 1 }
        }
        return removed
    }

    static func entries(of directory: FilePath) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.string)) ?? []
    }

    /// One `stat` call. The start-up sweep asks this of every blob, and FileManager's
    /// `attributesOfItem` also looks up the owner's and the group's names for each.
    static func modificationTime(of path: FilePath) -> Double? {
        var status = stat()
        guard stat(path.string, &status) == 0 else { return nil }
        return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1_000_000_000
    }

    /// The shard directory for `id`, created if needed, its entry in `blobs/` durable: a row must
    /// never point at a blob whose directory a power cut can take back. Each shard is synced once
    /// per process (`durableShards`), also when another process created it and crashed before.
    func durableShardDirectory(for id: String) async throws -> FilePath {
        let shard = shardDirectory(for: id)
        let name = String(id.suffix(2))
        if durableShards.withLockedValue({ $0.contains(name) }) { return shard }
        try await fileSystem.createDirectory(at: shard, withIntermediateDirectories: true, permissions: nil)
        try await synchronizeDirectory(blobsDirectory)
        durableShards.withLockedValue { _ = $0.insert(name) }
        return shard
    }

    /// The shards synced so far (for tests).
    var durableShardNames: Set<String> { durableShards.withLockedValue { $0 } }

    /// Makes a rename in `directory` durable.
    func synchronizeDirectory(_ directory: FilePath) async throws {
        guard syncs else { return }
        try await fileSystem.withDirectoryHandle(atPath: directory) { handle in
            try await handle.synchronize()
        }
    }
}

/// Streams bytes into a temp file, batching small network chunks into large writes. One batch
/// is written while the next fills: awaiting each write before reading on left the upload
/// waiting on the disk and the disk on the network, each half the time.
final class DiskBlobWriter: BlobWriter {
    private struct State {
        var pending: ByteBuffer = ByteBuffer()
        var offset: Int64 = 0
        var closed = false
        /// Where `commit` renamed the bytes to, once it has; `committed` once the rename is durable.
        var renamedTo: FilePath?
        var committed = false
        /// The batch being written, if any; its error surfaces at the next batch or at commit.
        var writeInFlight: Task<Void, any Error>?
    }

    /// Network chunks are small; writing them in 1 MiB batches keeps system calls few.
    static let batchSize = 1 << 20
    /// Files up to this size never get a whole batch buffer.
    static let smallFileBytes = 64 << 10

    let store: DiskBlobStore
    let temporaryPath: FilePath
    let handle: WriteFileHandle
    private let state = NIOLockedValueBox(State())

    init(store: DiskBlobStore, temporaryPath: FilePath, handle: WriteFileHandle) {
        self.store = store
        self.temporaryPath = temporaryPath
        self.handle = handle
    }

    var bytesWritten: Int64 {
        state.withLockedValue { $0.offset + Int64($0.pending.readableBytes) }
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        let batch: (ByteBuffer, Int64)? = state.withLockedValue { state in
            let needed = state.pending.readableBytes + buffer.readableBytes
            if needed > state.pending.capacity, needed > Self.smallFileBytes {
                // A large file: make room for the whole batch once instead of doubling up to it.
                state.pending.reserveCapacity(Self.batchSize)
            }
            state.pending.writeBuffer(&buffer)
            guard state.pending.readableBytes >= Self.batchSize else { return nil }
            let batch = (state.pending, state.offset)
            state.offset += Int64(state.pending.readableBytes)
            state.pending = ByteBuffer()
            state.pending.reserveCapacity(Self.batchSize)
            return batch
        }
        if let (bytes, offset) = batch {
            try await finishWriteInFlight()
            let handle = self.handle
            let write = Task {
                _ = try await handle.write(contentsOf: bytes.readableBytesView, toAbsoluteOffset: offset)
                // Start writing the batch back to disk now (without waiting for it), so that the
                // fsync at commit finds little left to do instead of the whole file.
                try await handle.withUnsafeDescriptor { descriptor in
                    _ = mockfiles_start_writeback(descriptor.rawValue, offset, Int64(bytes.readableBytes))
                }
            }
            state.withLockedValue { $0.writeInFlight = write }
        }
    }

    private func finishWriteInFlight() async throws {
        let write = state.withLockedValue { state in
            defer { state.writeInFlight = nil }
            return state.writeInFlight
        }
        try await write?.value
    }

    /// Accounts for bytes written to the descriptor directly (see `makeWriter(concatenating:)`).
    func advance(by count: Int64) {
        state.withLockedValue { $0.offset += count }
    }

    private func flush() async throws {
        try await finishWriteInFlight()
        let (bytes, offset) = state.withLockedValue { state in
            let batch = (state.pending, state.offset)
            state.offset += Int64(state.pending.readableBytes)
            state.pending = ByteBuffer()
            return batch
        }
        if bytes.readableBytes > 0 {
            try await handle.write(contentsOf: bytes.readableBytesView, toAbsoluteOffset: offset)
        }
    }

    func readBack(chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        try await flush()
        let reader = try await store.fileSystem.openFile(forReadingAt: temporaryPath)
        do {
            for try await chunk in reader.readChunks(chunkLength: .bytes(Int64(chunkSize))) {
                try await body(chunk)
            }
            try await reader.close()
        } catch {
            try? await reader.close()
            throw error
        }
    }

    func commit(as id: String) async throws {
        precondition(ServerID.isWellFormed(id), "blob ids are server-made")
        try await flush()
        if store.syncs { try await handle.synchronize() }
        try await closeHandle()
        let shard = try await store.durableShardDirectory(for: id)
        let finalPath = store.path(for: id)
        try await store.fileSystem.moveItem(at: temporaryPath, to: finalPath)
        state.withLockedValue { $0.renamedTo = finalPath }
        try await store.synchronizeDirectory(shard)
        state.withLockedValue { $0.committed = true }
    }

    func discard() async {
        let (committed, renamedTo) = state.withLockedValue { ($0.committed, $0.renamedTo) }
        if committed { return }
        try? await closeHandle()
        _ = try? await store.fileSystem.removeItem(at: renamedTo ?? temporaryPath, strategy: .platformDefault, recursively: false)
    }

    /// A writer dropped without `commit` or `discard` (a bug, or a task cancelled mid-way) must
    /// not leak its descriptor; its temp file is left for start-up recovery.
    deinit {
        let wasClosed = state.withLockedValue { $0.closed }
        if !wasClosed, let descriptor = try? handle.detachUnsafeFileDescriptor() {
            try? descriptor.close()
        }
    }

    private func closeHandle() async throws {
        try? await finishWriteInFlight()
        let wasClosed = state.withLockedValue { state in
            defer { state.closed = true }
            return state.closed
        }
        if !wasClosed { try await handle.close(makeChangesVisible: true) }
    }
}

/// Reads a committed blob, for as long as `BlobStore.withBlobReader` lends it: a delete after
/// the open does not cut the reading short.
final class DiskBlobReader: BlobReader {
    let handle: ReadFileHandle
    let size: Int64
    private let closed = NIOLockedValueBox(false)

    init(handle: ReadFileHandle, size: Int64) {
        self.handle = handle
        self.size = size
    }

    func read(range: Range<Int64>, chunkSize: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        for try await chunk in handle.readChunks(in: range, chunkLength: .bytes(Int64(chunkSize))) {
            try await body(chunk)
        }
    }

    func close() async {
        let wasClosed = closed.withLockedValue { closed in
            defer { closed = true }
            return closed
        }
        if !wasClosed { try? await handle.close() }
    }
}
