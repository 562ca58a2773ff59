import Foundation
import NIOCore

/// Reads a snapshot archive as it streams in and stages it beside the live state: each blob is
/// committed under a staging id (`snap<token>_<id>`) that no row names, each record is checked
/// against the bytes before it (size, SHA-256), the trailer against the counts. Nothing live is
/// touched; `SnapshotImporter` swaps the staged state in. Memory: one chunk, one JSON entry, and
/// the rows to restore (bytes never stay in memory).
struct SnapshotStager {
    struct Limits: Sendable {
        /// Largest blob entry accepted (the largest Upload the server takes).
        var maxBlobBytes: Int64
        /// Largest JSON entry accepted.
        var maxRecordBytes = 4 << 20
    }

    /// A blob written under its staging id, waiting for the record that vouches for it.
    struct StagedBlob {
        var stagingID: String
        var bytes: Int64
        var sha256: String
    }

    let store: FileStore
    let limits: Limits
    /// Whose rules an Upload record is checked with, and whose clock a snapshot's clock setting.
    let uploads: UploadService
    /// Prefix of every staging id of this import, so two imports never share one.
    let stagingPrefix: String

    private(set) var header: SnapshotHeader?
    /// The rows to restore (set here and in `SnapshotStager+Batches.swift`).
    var contents = StoreContents()
    private(set) var trailer: SnapshotTrailer?
    /// Blobs whose record has not come yet, by entry name (`blobs/<id>`, `parts/<id>`, `inputs/<id>`).
    private var unclaimed: [String: StagedBlob] = [:]
    /// Every blob committed so far, claimed or not (what a failed import removes).
    private(set) var stagedIDs: [String] = []
    /// Moves that put the claimed blobs under their ids.
    private(set) var moves: [BlobMove] = []
    var seenIDs: Set<String> = []
    /// The batch records, kept until the end to check the files they name against the archive's.
    var batchRecords: [SnapshotBatchRecord] = []
    /// Inputs whose bytes came as `inputs/<id>`, claimed by the first batch naming them.
    var carriedInputs: [String: SnapshotBatchRecord.InputBlob] = [:]

    private var reader = TarReader()
    private var current: Entry?
    /// For messages about a header or a cut that has no name of its own.
    private var lastEntryName = "the start"

    private enum Entry {
        case blob(name: String, id: String, writer: any BlobWriter, digest: StreamingSHA256)
        case record(name: String, data: ByteBuffer)
    }

    init(uploads: UploadService, limits: Limits, token: String) {
        self.store = uploads.files.store
        self.uploads = uploads
        self.limits = limits
        self.stagingPrefix = "snap\(token)_"
    }

    /// Takes the next piece of the archive.
    mutating func feed(_ chunk: ByteBuffer) async throws {
        let events: [TarReader.Event]
        do {
            events = try reader.feed(chunk)
        } catch let problem as TarHeader.Problem {
            throw SnapshotImportError.archive("a tar header is unreadable after \(lastEntryName): \(problem)")
        } catch TarReader.ReadError.trailingData {
            throw SnapshotImportError.archive("bytes follow the end of the archive")
        }
        for event in events {
            switch event {
            case .entry(let header): try await begin(header)
            case .data(let data): try await append(data)
            case .entryEnd: try await end()
            case .end:
                guard trailer != nil else { throw SnapshotImportError.archive("the archive ends before \(SnapshotTrailer.entryName)") }
            }
        }
    }

    /// The stream ended: the archive must be whole.
    func finish() throws {
        do {
            try reader.finish()
        } catch {
            throw SnapshotImportError.archive("the archive is cut short after \(lastEntryName)")
        }
    }

    /// Drops whatever entry is half written (the import failed).
    mutating func abandon() async {
        if case .blob(_, _, let writer, _) = current { await writer.discard() }
        current = nil
    }

    private mutating func begin(_ tarHeader: TarHeader) async throws {
        let name = tarHeader.name
        lastEntryName = "'\(name)'"
        if trailer != nil { throw SnapshotImportError.entry(name, "nothing may follow \(SnapshotTrailer.entryName)") }
        if header == nil, name != SnapshotHeader.entryName {
            throw SnapshotImportError.entry(name, "the archive must begin with \(SnapshotHeader.entryName)")
        }
        if let id = Self.id(in: name, prefix: "blobs/", suffix: "", idPrefix: "file-")
            ?? Self.id(in: name, prefix: "parts/", suffix: "", idPrefix: "part_")
            ?? Self.id(in: name, prefix: "inputs/", suffix: "", idPrefix: "file-")
        {
            guard tarHeader.size <= limits.maxBlobBytes else {
                throw SnapshotImportError.entry(
                    name,
                    "\(tarHeader.size) bytes is more than the largest file this server takes (\(limits.maxBlobBytes))"
                )
            }
            // `blobs/<id>` and `inputs/<id>` would share a staging id.
            let stagedAlready = unclaimed.values.contains { $0.stagingID == stagingPrefix + id }
            guard !stagedAlready, !seenIDs.contains(id) else { throw SnapshotImportError.entry(name, "\(id) appears twice") }
            current = .blob(name: name, id: id, writer: try await store.makeStagingWriter(), digest: StreamingSHA256())
            return
        }
        let isRecord =
            name == SnapshotHeader.entryName || name == SnapshotTrailer.entryName
            || Self.id(in: name, prefix: "files/", suffix: ".json", idPrefix: "file-") != nil
            || Self.id(in: name, prefix: "uploads/", suffix: ".json", idPrefix: "upload_") != nil
            || Self.id(in: name, prefix: "batches/", suffix: ".json", idPrefix: "batch_") != nil
        guard isRecord else {
            throw SnapshotImportError.entry(name, "not an entry of a mockfiles snapshot (or an id that is not a server-made one)")
        }
        guard tarHeader.size <= limits.maxRecordBytes else {
            throw SnapshotImportError.entry(name, "\(tarHeader.size) bytes is more than a record may hold (\(limits.maxRecordBytes))")
        }
        current = .record(name: name, data: ByteBuffer())
    }

    private mutating func append(_ data: ByteBuffer) async throws {
        switch current {
        case .blob(let name, let id, let writer, var digest):
            await digest.update(data)
            current = .blob(name: name, id: id, writer: writer, digest: digest)
            try await writer.write(data)
        case .record(let name, var buffer):
            current = nil  // the buffer is uniquely referenced while it grows
            var data = data
            buffer.writeBuffer(&data)
            current = .record(name: name, data: buffer)
        case nil:
            break
        }
    }

    private mutating func end() async throws {
        guard let entry = current else { return }
        current = nil
        switch entry {
        case .blob(let name, let id, let writer, var digest):
            let stagingID = stagingPrefix + id
            let bytes = await writer.bytesWritten
            do {
                try await writer.commit(as: stagingID)
            } catch {
                await writer.discard()
                throw error
            }
            stagedIDs.append(stagingID)
            unclaimed[name] = StagedBlob(stagingID: stagingID, bytes: bytes, sha256: await digest.finalize())
        case .record(let name, let data):
            try accept(record: Data(data.readableBytesView), named: name)
        }
    }

    private mutating func accept(record data: Data, named name: String) throws {
        if name == SnapshotHeader.entryName {
            guard header == nil else { throw SnapshotImportError.entry(name, "appears twice") }
            let decoded: SnapshotHeader = try Self.decode(data, name: name)
            guard decoded.format == "mockfiles-snapshot", SnapshotHeader.readableVersions.contains(decoded.version) else {
                throw SnapshotImportError.entry(
                    name,
                    "format \(decoded.format) version \(decoded.version); this server reads mockfiles-snapshot versions \(SnapshotHeader.readableVersions.lowerBound) to \(SnapshotHeader.currentVersion)"
                )
            }
            try Self.checked(name) { () throws(APIError) in
                try uploads.files.clock.check(offset: decoded.clockOffset, frozenAt: decoded.clockFrozenAt)
                guard decoded.faultRules.count <= FaultRule.maxRules else {
                    throw APIError.invalid(
                        "\(decoded.faultRules.count) fault rules; at most \(FaultRule.maxRules) may be in force",
                        param: "fault_rules"
                    )
                }
                guard (decoded.batchRules?.count ?? 0) <= BatchRule.maxRules else {
                    throw APIError.invalid("more than \(BatchRule.maxRules) batch rules", param: "batch_rules")
                }
            }
            header = decoded
        } else if name == SnapshotTrailer.entryName {
            if let leftover = unclaimed.keys.sorted().first { throw SnapshotImportError.entry(leftover, "no record claims these bytes") }
            let decoded: SnapshotTrailer = try Self.decode(data, name: name)
            let counted = SnapshotTrailer(
                files: contents.files.count,
                uploads: contents.uploads.count,
                parts: contents.parts.count,
                batches: contents.batches.count
            )
            guard decoded == counted else {
                throw SnapshotImportError.entry(
                    name,
                    "it counts \(decoded.files) files, \(decoded.uploads) uploads, \(decoded.parts) parts and \(decoded.batches) batches; the archive holds \(counted.files), \(counted.uploads), \(counted.parts) and \(counted.batches)"
                )
            }
            try checkBatchReferences()
            trailer = decoded
        } else if name.hasPrefix("files/") {
            let record: SnapshotFileRecord = try Self.decode(data, name: name)
            guard name == "files/\(record.id).json" else { throw SnapshotImportError.entry(name, "its id is \(record.id)") }
            try Self.checked(name) { () throws(APIError) in try record.validate(limits: limits) }
            try claim("blobs/\(record.id)", bytes: record.bytes, sha256: record.sha256, id: record.id, for: name)
            contents.files.append(record.storedFile)
        } else if name.hasPrefix("batches/") {
            try accept(batch: try Self.decode(data, name: name), named: name)
        } else {
            let record: SnapshotUploadRecord = try Self.decode(data, name: name)
            guard name == "uploads/\(record.id).json" else { throw SnapshotImportError.entry(name, "its id is \(record.id)") }
            guard !seenIDs.contains(record.id) else { throw SnapshotImportError.entry(name, "\(record.id) appears twice") }
            try Self.checked(name) { () throws(APIError) in try record.validate(uploads: uploads) }
            seenIDs.insert(record.id)
            for part in record.parts {
                try claim("parts/\(part.id)", bytes: part.bytes, sha256: part.sha256, id: part.id, for: name)
                contents.parts.append(StoredPart(id: part.id, uploadID: record.id, bytes: part.bytes, createdAt: part.createdAt))
            }
            contents.uploads.append(record.storedUpload)
        }
    }

    /// The record `name` vouches for the blob entry `blobName`: it must have come, whole and unchanged.
    mutating func claim(_ blobName: String, bytes: Int64, sha256: String, id: String, for name: String) throws {
        guard let blob = unclaimed.removeValue(forKey: blobName) else {
            throw SnapshotImportError.entry(name, "no \(blobName) entry comes before it")
        }
        guard blob.bytes == bytes else { throw SnapshotImportError.entry(blobName, "\(blob.bytes) bytes, but \(name) records \(bytes)") }
        guard blob.sha256 == sha256 else {
            throw SnapshotImportError.entry(blobName, "its bytes hash to \(blob.sha256), but \(name) records \(sha256)")
        }
        seenIDs.insert(id)
        moves.append(BlobMove(from: blob.stagingID, to: id, size: bytes))
    }

    /// Runs a record's checks; a refusal names the entry.
    static func checked(_ name: String, _ check: () throws(APIError) -> Void) throws {
        do {
            try check()
        } catch {
            throw SnapshotImportError.entry(name, error.message)
        }
    }

    /// The id in `<prefix><id><suffix>` when it is server-shaped (it will name a blob).
    static func id(in name: String, prefix: String, suffix: String, idPrefix: String) -> String? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let id = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        guard id.hasPrefix(idPrefix), id.count <= 64, ServerID.isWellFormed(id) else { return nil }
        return id
    }

    static func decode<Record: Decodable>(_ data: Data, name: String) throws -> Record {
        do {
            return try JSONDecoder().decode(Record.self, from: data)
        } catch let error as DecodingError {
            throw SnapshotImportError.entry(name, "unreadable JSON (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "'\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "\(error)"
        }
    }
}

/// Why an archive was refused; nothing live changed.
enum SnapshotImportError: Error, Equatable, CustomStringConvertible {
    /// An entry (named) is wrong.
    case entry(String, String)
    /// The archive as a whole is wrong (cut short, unreadable).
    case archive(String)
    /// A reset ran while the archive was being staged and took the staged bytes with it.
    case interruptedByReset

    var description: String {
        switch self {
        case .entry(let name, let reason): "snapshot entry '\(name)': \(reason)"
        case .archive(let reason): "snapshot archive: \(reason)"
        case .interruptedByReset: "a reset ran while the snapshot was being read; nothing was restored"
        }
    }
}
