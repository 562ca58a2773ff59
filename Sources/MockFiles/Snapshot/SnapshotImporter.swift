import Foundation
import NIOCore
import NIOFileSystem

/// Replaces the whole state with a snapshot archive, all or nothing. The archive is staged first
/// (`SnapshotStager`) while the old state goes on serving; only a complete, verified archive is
/// swapped in (`FileStore.restore`, alone like a reset), with the clock and rules. A refused
/// archive leaves nothing behind: its staged blobs are removed before the answer.
struct SnapshotImporter {
    let files: FileService
    let uploadService: UploadService
    let controls: TestControls
    let limits: SnapshotStager.Limits

    /// Blobs may be as large as anything the server itself accepts.
    init(files: FileService, uploads: UploadService, controls: TestControls) {
        self.files = files
        self.uploadService = uploads
        self.controls = controls
        limits = SnapshotStager.Limits(maxBlobBytes: max(uploads.settings.maxUploadBytes, files.settings.maxFileBytes))
    }

    /// Reads the archive from `chunks` and swaps it in; returns its counts.
    func importSnapshot<Chunks: AsyncSequence>(from chunks: Chunks) async throws -> SnapshotTrailer where Chunks.Element == ByteBuffer {
        let resetsBefore = files.store.resetsBegun
        var stager = SnapshotStager(uploads: uploadService, limits: limits, token: IDGenerator().randomString(length: 8))
        do {
            for try await chunk in chunks { try await stager.feed(chunk) }
            try stager.finish()
            guard let header = stager.header, let trailer = stager.trailer else {
                throw SnapshotImportError.archive("the archive holds no \(SnapshotTrailer.entryName)")
            }
            let restored = try await files.store.restore(stager.contents, moving: stager.moves, resetsBefore: resetsBefore) {
                try await controls.restore(
                    clockOffset: header.clockOffset,
                    clockFrozenAt: header.clockFrozenAt,
                    faultRules: header.faultRules,
                    batchRules: header.batchRules ?? []
                )
            }
            guard restored else { throw SnapshotImportError.interruptedByReset }
            return trailer
        } catch {
            await stager.abandon()
            // Moved blobs are no longer under their staging ids; removing those is a no-op.
            await files.store.removeStagedBlobs(stager.stagedIDs)
            throw error
        }
    }

    /// Reads the archive from a local file (`serve --snapshot`, `mockfiles snapshot import`).
    func importSnapshot(fromFileAt path: String) async throws -> SnapshotTrailer {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            try await importSnapshot(from: handle.readChunks(chunkLength: .mebibytes(1)))
        }
    }
}

extension MockFilesServer {
    /// Replaces the state with the archive at `path` (`serve --snapshot`, `mockfiles snapshot import`).
    /// A refused archive or an unreadable file is a `SnapshotRestoreFailure`; nothing changed.
    @discardableResult
    public func importSnapshot(fromFileAt path: String) async throws -> SnapshotCounts {
        guard FileManager.default.isReadableFile(atPath: path) else { throw SnapshotRestoreFailure(description: "cannot read the file") }
        let importer = SnapshotImporter(files: fileService, uploads: uploadService, controls: controls)
        do {
            let counts = try await importer.importSnapshot(fromFileAt: path)
            return SnapshotCounts(counts)
        } catch let error as SnapshotImportError {
            throw SnapshotRestoreFailure(description: "\(error)")
        }
    }

    /// Writes the state as an archive, chunk by chunk (`mockfiles snapshot export`).
    @discardableResult
    public func exportSnapshot(to write: (ByteBuffer) async throws -> Void) async throws -> SnapshotCounts {
        // Offline, nothing has taken up the directory's clock and rules yet.
        try await controls.loadSavedControls()
        return SnapshotCounts(try await SnapshotExporter(files: fileService, controls: controls).export(to: write))
    }
}

/// What an archive holds (its trailer), for the CLI's and the startup log's one line.
public struct SnapshotCounts: Sendable, Equatable, CustomStringConvertible {
    public var files: Int
    public var uploads: Int
    public var parts: Int
    public var batches: Int

    init(_ trailer: SnapshotTrailer) {
        files = trailer.files
        uploads = trailer.uploads
        parts = trailer.parts
        batches = trailer.batches
    }

    public var description: String { "\(files) files, \(uploads) uploads, \(parts) parts, \(batches) batches" }
}

/// Why a snapshot file was not restored, in one line; the state is as it was.
public struct SnapshotRestoreFailure: Error, CustomStringConvertible {
    public let description: String
}
