import Crypto
import Foundation
import NIOCore

/// Writes the whole state as one tar stream (layout in `SnapshotRecords.swift`), one file at a
/// time: memory stays a chunk and one page of rows, whatever the bytes add up to. Traffic goes
/// on meanwhile; a file deleted before its bytes are read is left out, as if deleted just before.
struct SnapshotExporter {
    let files: FileService
    var uploads: any UploadReads { files.store.reads }
    let controls: TestControls
    /// Rows read per store query.
    var pageSize = 500
    /// Bytes per chunk read from the blob store.
    var chunkSize = 1 << 20

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Streams the archive to `write`; returns the counts its trailer holds.
    @discardableResult
    func export(to write: (ByteBuffer) async throws -> Void) async throws -> SnapshotTrailer {
        try await controls.synchronize()
        let clock = files.clock.setting
        let header = SnapshotHeader(
            clockOffset: clock.offset,
            clockFrozenAt: clock.frozenAt,
            faultRules: try await controls.faultRules(),
            batchRules: try await controls.listBatchRules()
        )
        try await writeJSON(header, named: SnapshotHeader.entryName, to: write)
        var trailer = SnapshotTrailer(files: 0, uploads: 0, parts: 0)
        // The batch files written, which batches' inputs are among (only those can be).
        var batchFilesWritten: Set<String> = []
        var query = AdminFileQuery()
        query.limit = pageSize
        while true {
            let page = try await files.store.reads.adminFiles(query)
            for file in page {
                guard let sha256 = try await writeBlob(id: file.id, size: file.bytes, named: "blobs/\(file.id)", to: write)?.sha256 else {
                    continue
                }
                if let recorded = file.sha256, recorded != sha256 {
                    throw SnapshotError.corruptBlob(id: file.id, recorded: recorded, read: sha256)
                }
                try await writeJSON(SnapshotFileRecord(file, sha256: sha256), named: "files/\(file.id).json", to: write)
                trailer.files += 1
                if file.purpose == Purpose.batch.rawValue { batchFilesWritten.insert(file.id) }
            }
            guard page.count == query.limit, let last = page.last else { break }
            query.afterSequence = last.sequence
        }
        for upload in try await uploads.pendingUploads() {
            var parts: [SnapshotUploadRecord.Part] = []
            for part in try await uploads.parts(ofUpload: upload.id) {
                guard let sha256 = try await writeBlob(id: part.id, size: part.bytes, named: "parts/\(part.id)", to: write)?.sha256 else {
                    continue
                }
                parts.append(.init(id: part.id, bytes: part.bytes, createdAt: part.createdAt, sha256: sha256))
            }
            try await writeJSON(SnapshotUploadRecord(upload, parts: parts), named: "uploads/\(upload.id).json", to: write)
            trailer.uploads += 1
            trailer.parts += parts.count
        }
        var carried: [String: SnapshotBatchRecord.InputBlob] = [:]
        var after: String?
        while true {
            let page = try await files.store.reads.allBatches(after: after, limit: pageSize)
            for batch in page {
                try await writeBatch(batch, filesWritten: batchFilesWritten, carried: &carried, to: write)
                trailer.batches += 1
            }
            guard page.count == pageSize, let last = page.last else { break }
            after = last.id
        }
        try await writeJSON(trailer, named: SnapshotTrailer.entryName, to: write)
        // Two zero blocks end a tar archive.
        try await write(ByteBuffer(repeating: 0, count: 2 * TarHeader.blockSize))
        return trailer
    }

    /// A batch's record, after its input's bytes when it will read them again and its input file
    /// is not in the archive (deleted: the store keeps the blob until the batch's results are made).
    /// `carried` holds the inputs written so, once each.
    private func writeBatch(
        _ batch: StoredBatch,
        filesWritten: Set<String>,
        carried: inout [String: SnapshotBatchRecord.InputBlob],
        to write: (ByteBuffer) async throws -> Void
    ) async throws {
        var record = SnapshotBatchRecord(batch)
        let input = batch.inputFileID
        if record.readsInputAgain, !filesWritten.contains(input) {
            if let blob = carried[input] {
                record.inputBlob = blob
            } else if let written = try await writeBlob(id: input, size: nil, named: "inputs/\(input)", to: write) {
                record.inputBlob = .init(bytes: written.bytes, sha256: written.sha256)
                carried[input] = record.inputBlob
            } else {
                // Its results were made meanwhile and the blob went with them: the row as it is now.
                guard let now = try await files.store.reads.batch(id: batch.id, tenant: batch.tenant), now.resultsMade else {
                    throw SnapshotError.inputGone(batchID: batch.id, fileID: input)
                }
                record = SnapshotBatchRecord(now)
            }
        }
        try await writeJSON(record, named: "batches/\(batch.id).json", to: write)
    }

    /// The blob as one entry (`size` checked against the store's, when known); its size and
    /// SHA-256, or nil when it is gone (deleted meanwhile).
    private func writeBlob(
        id: String,
        size expected: Int64?,
        named name: String,
        to write: (ByteBuffer) async throws -> Void
    ) async throws -> (bytes: Int64, sha256: String)? {
        let written: (bytes: Int64, sha256: String)? = try await files.store.withBlobReader(id: id) { reader in
            let size = reader.size
            if let expected, expected != size { throw SnapshotError.sizeMismatch(id: id, recorded: expected, stored: size) }
            var digest = SHA256()
            try await write(ByteBuffer(bytes: try TarHeader(name: name, size: size).encoded()))
            try await reader.read(range: 0..<size, chunkSize: chunkSize) { chunk in
                chunk.withUnsafeReadableBytes { digest.update(bufferPointer: $0) }
                try await write(chunk)
            }
            return (size, digest.finalize().hexDigits)
        }
        guard let written else { return nil }
        try await write(ByteBuffer(repeating: 0, count: TarHeader.padding(after: written.bytes)))
        return written
    }

    private func writeJSON(_ value: some Encodable, named name: String, to write: (ByteBuffer) async throws -> Void) async throws {
        let data = try Self.encoder.encode(value)
        var buffer = ByteBuffer(bytes: try TarHeader(name: name, size: Int64(data.count)).encoded())
        buffer.writeBytes(data)
        buffer.writeRepeatingByte(0, count: TarHeader.padding(after: Int64(data.count)))
        try await write(buffer)
    }
}

enum SnapshotError: Error, CustomStringConvertible {
    case corruptBlob(id: String, recorded: String, read: String)
    case sizeMismatch(id: String, recorded: Int64, stored: Int64)
    case inputGone(batchID: String, fileID: String)

    var description: String {
        switch self {
        case .corruptBlob(let id, let recorded, let read): "the bytes of \(id) hash to \(read), but \(recorded) was recorded when they were stored"
        case .sizeMismatch(let id, let recorded, let stored): "\(id) has \(stored) bytes stored, \(recorded) recorded"
        case .inputGone(let batchID, let fileID): "the input \(fileID) of batch \(batchID) is gone; its result files cannot be made"
        }
    }
}
