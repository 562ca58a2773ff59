/// The JSON entries of a snapshot archive. The archive, in order:
///
///     mockfiles-snapshot.json        SnapshotHeader: format, version, clock, fault and batch rules
///     blobs/<file-id>                a file's bytes, then
///     files/<file-id>.json           its SnapshotFileRecord (written after the bytes, so a digest
///                                    missing from an old row is computed on the way)
///     parts/<part-id>                an open Upload's parts' bytes, then
///     uploads/<upload-id>.json       its SnapshotUploadRecord
///     inputs/<file-id>               the bytes of a deleted file a batch still reads, then
///     batches/<batch-id>.json        its SnapshotBatchRecord (every batch has one)
///     mockfiles-snapshot-end.json    SnapshotTrailer: the counts, so a cut archive is known as one
///
/// Bytes always come before the record that vouches for them (size and SHA-256).
///
/// Version 2 added batches (`inputs/`, `batches/`, the trailer's `batches`). A version 1 archive
/// is read as one without batches: restoring it leaves none.
struct SnapshotHeader: Codable, Equatable {
    static let entryName = "mockfiles-snapshot.json"
    static let currentVersion = 2
    /// The versions this server restores.
    static let readableVersions = 1...currentVersion

    var format = "mockfiles-snapshot"
    var version = currentVersion
    var clockOffset: Double
    var clockFrozenAt: Double?
    var faultRules: [FaultRule]
    /// Absent from archives made before batch rules existed: none.
    var batchRules: [BatchRule]?

    enum CodingKeys: String, CodingKey {
        case format, version
        case clockOffset = "clock_offset"
        case clockFrozenAt = "clock_frozen_at"
        case faultRules = "fault_rules"
        case batchRules = "batch_rules"
    }
}

struct SnapshotFileRecord: Codable, Equatable {
    var id: String
    var tenant: String
    var purpose: String
    var filename: String
    var bytes: Int64
    var createdAt: Int64
    var expiresAt: Int64?
    var processedAtMilliseconds: Int64?
    var sha256: String
    var contentType: String?

    init(_ file: StoredFile, sha256: String) {
        id = file.id
        tenant = file.tenant
        purpose = file.purpose
        filename = file.filename
        bytes = file.bytes
        createdAt = file.createdAt
        expiresAt = file.expiresAt
        processedAtMilliseconds = file.processedAtMilliseconds
        self.sha256 = sha256
        contentType = file.contentType
    }

    var storedFile: StoredFile {
        StoredFile(
            id: id,
            tenant: tenant,
            purpose: purpose,
            filename: filename,
            bytes: bytes,
            createdAt: createdAt,
            expiresAt: expiresAt,
            processedAtMilliseconds: processedAtMilliseconds,
            sha256: sha256,
            contentType: contentType
        )
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, purpose, filename, bytes, sha256
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case processedAtMilliseconds = "processed_at_ms"
        case contentType = "content_type"
    }
}

struct SnapshotUploadRecord: Codable, Equatable {
    struct Part: Codable, Equatable {
        var id: String
        var bytes: Int64
        var createdAt: Int64
        var sha256: String

        enum CodingKeys: String, CodingKey {
            case id, bytes, sha256
            case createdAt = "created_at"
        }
    }

    var id: String
    var tenant: String
    var filename: String
    var purpose: String
    var bytes: Int64
    var mimeType: String
    var createdAt: Int64
    var expiresAt: Int64
    var fileLifetimeSeconds: Int64?
    var parts: [Part]

    init(_ upload: StoredUpload, parts: [Part]) {
        id = upload.id
        tenant = upload.tenant
        filename = upload.filename
        purpose = upload.purpose
        bytes = upload.bytes
        mimeType = upload.mimeType
        createdAt = upload.createdAt
        expiresAt = upload.expiresAt
        fileLifetimeSeconds = upload.fileLifetimeSeconds
        self.parts = parts
    }

    /// The row restored: open, as it was saved (only open Uploads are saved).
    var storedUpload: StoredUpload {
        StoredUpload(
            id: id,
            tenant: tenant,
            filename: filename,
            purpose: purpose,
            bytes: bytes,
            mimeType: mimeType,
            createdAt: createdAt,
            expiresAt: expiresAt,
            fileLifetimeSeconds: fileLifetimeSeconds,
            status: .pending,
            fileID: nil
        )
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, filename, purpose, bytes, parts
        case mimeType = "mime_type"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case fileLifetimeSeconds = "file_lifetime_seconds"
    }
}

struct SnapshotTrailer: Codable, Equatable {
    static let entryName = "mockfiles-snapshot-end.json"

    var files: Int
    var uploads: Int
    var parts: Int
    /// Absent from a version 1 archive, which holds none.
    var batches = 0

    init(files: Int, uploads: Int, parts: Int, batches: Int = 0) {
        self.files = files
        self.uploads = uploads
        self.parts = parts
        self.batches = batches
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        files = try container.decode(Int.self, forKey: .files)
        uploads = try container.decode(Int.self, forKey: .uploads)
        parts = try container.decode(Int.self, forKey: .parts)
        batches = try container.decodeIfPresent(Int.self, forKey: .batches) ?? 0
    }
}
