import Foundation
import Logging

/// The rules of `/v1/uploads`: an Upload collects Parts for an hour, then becomes one File on
/// `complete`, atomically, or nothing on `cancel`/expiry.
public struct UploadService: Sendable {
    public struct Settings: Sendable {
        public var maxUploadBytes: Int64 = 8 * 1024 * 1024 * 1024
        public var maxPartBytes: Int64 = 64 * 1024 * 1024
        public var uploadLifetimeSeconds: Int64 = 3600
        public init() {}
    }

    public struct CreateRequest: Sendable {
        public var filename: String
        public var purpose: Purpose
        public var bytes: Int64
        public var mimeType: String
        public var fileLifetimeSeconds: Int64?
    }

    public let files: FileService
    public let store: any UploadStore
    public let settings: Settings
    var clock: ServiceClock { files.clock }

    public init(files: FileService, store: any UploadStore, settings: Settings) {
        self.files = files
        self.store = store
        self.settings = settings
    }

    public func create(_ request: CreateRequest, tenant: Tenant) async throws -> StoredUpload {
        try await files.checkQuota(adding: request.bytes, tenant: tenant)
        let now = clock.seconds
        let upload = StoredUpload(
            id: files.ids.uploadID(createdAt: now),
            tenant: tenant.key,
            filename: request.filename,
            purpose: request.purpose.rawValue,
            bytes: request.bytes,
            mimeType: request.mimeType,
            createdAt: now,
            expiresAt: now.saturatingAdd(settings.uploadLifetimeSeconds),
            fileLifetimeSeconds: request.fileLifetimeSeconds,
            status: .pending
        )
        try await store.insertUpload(upload)
        return upload
    }

    /// An upload of this tenant that still accepts parts, complete or cancel; otherwise 404 or 400.
    public func openUpload(id: String, tenant: Tenant, action: String) async throws -> StoredUpload {
        guard let upload = try await store.upload(id: id, tenant: tenant.key) else { throw APIError.uploadNotFound(id) }
        let status = upload.visibleStatus(at: clock.seconds)
        guard status == "pending" else {
            throw APIError.invalid("Cannot \(action) Upload \(id): its status is '\(status)'.", param: nil, code: "upload_not_pending")
        }
        return upload
    }

    /// Commits a streamed part: the blob is durable before its row exists, and the row exists
    /// only if the upload was still open at that moment and its parts stay within its `bytes`
    /// (checked in the store's transaction, so parallel parts cannot pass it together). A refused
    /// part's blob goes at once.
    public func addPart(uploadID: String, blob: any BlobWriter, tenant: Tenant) async throws -> StoredPart {
        do {
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "add a Part to")
            let now = clock.seconds
            let part = StoredPart(id: files.ids.partID(createdAt: now), uploadID: uploadID, bytes: await blob.bytesWritten, createdAt: now)
            let accepted: Bool = try await files.resetBarrier.write {
                try await blob.commit(as: part.id)
                do {
                    return try await store.insertPart(part, tenant: tenant.key, now: clock.seconds)
                } catch {
                    try? await files.blobs.removeBlob(id: part.id)
                    throw error
                }
            }
            guard accepted else {
                try? await files.blobs.removeBlob(id: part.id)
                _ = try await openUpload(id: uploadID, tenant: tenant, action: "add a Part to")
                throw APIError.invalid("Cannot add a Part to Upload \(uploadID): it is no longer pending.", param: nil, code: "upload_not_pending")
            }
            return part
        } catch let exceeded as PartExceedsUpload {
            await blob.discard()
            throw Self.partTooLarge(exceeded, uploadID: uploadID)
        } catch {
            await blob.discard()
            throw error
        }
    }

    /// No Upload holds more than it declared; the real service's answer is unknown (README).
    static func partTooLarge(_ exceeded: PartExceedsUpload, uploadID: String) -> APIError {
        APIError.invalid(
            "Cannot add a Part of \(exceeded.partBytes) bytes to Upload \(uploadID): its Parts already hold \(exceeded.received) "
                + "of the \(exceeded.declared) bytes it was created with.",
            param: "data"
        )
    }

    /// Joins the named parts, in order, into a new File. The File row, the upload's new status
    /// and the removal of its part rows commit in one transaction; part blobs go after.
    public func complete(uploadID: String, partIDs: [String], md5: String?, tenant: Tenant) async throws -> (StoredUpload, StoredFile) {
        let upload = try await openUpload(id: uploadID, tenant: tenant, action: "complete")
        let parts = Dictionary(uniqueKeysWithValues: try await store.parts(ofUpload: uploadID).map { ($0.id, $0) })
        var seen = Set<String>()
        var total: Int64 = 0
        for id in partIDs {
            guard seen.insert(id).inserted else {
                throw APIError.invalid("Part \(id) is listed more than once in 'part_ids'.", param: "part_ids")
            }
            guard let part = parts[id] else {
                throw APIError.invalid("No such Part object: \(id) in Upload \(uploadID).", param: "part_ids")
            }
            total += part.bytes
        }
        guard total == upload.bytes else {
            throw APIError.invalid(
                "The Parts listed have \(total) bytes in total, but the Upload was created with bytes=\(upload.bytes).",
                param: "part_ids"
            )
        }
        try await files.checkQuota(adding: upload.bytes, tenant: tenant)
        let (file, removedParts): (StoredFile, [StoredPart])
        do {
            (file, removedParts) = try await files.blobs.withNewBlob(concatenating: partIDs, computingMD5: md5 != nil) { blob, digests in
                if let md5, md5.lowercased() != digests.md5 {
                    throw APIError.invalid("The md5 checksum '\(md5)' does not match the uploaded bytes (md5 \(digests.md5 ?? "?")).", param: "md5")
                }
                // No check of the bytes themselves: the service completed a `fine-tune` Upload of
                // the bytes 1...8 (UploadsTests, 2025-09), where `POST /v1/files` refuses non-JSONL.
                return try await commitCompletion(of: upload, blob: blob, bytes: total, sha256: digests.sha256, tenant: tenant)
            }
        } catch BlobStoreError.missingBlob {
            // A concurrent cancel or complete removed the parts: answer as the loser of that race.
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "complete")
            throw APIError.invalid("Cannot complete Upload \(uploadID): its Parts were removed meanwhile.", param: nil, code: "upload_not_pending")
        }
        for part in removedParts { try? await files.blobs.removeBlob(id: part.id) }
        var completed = upload
        completed.status = .completed
        completed.fileID = file.id
        return (completed, file)
    }

    /// Names the joined blob as the new File, then commits the File row, the Upload's new status
    /// and the removal of its part rows in one transaction. The File is dated when the Upload was
    /// created, as the service's are (`CompleteUploadWorks`, 2025-09: `file.created_at` is the
    /// Upload's), and its expiry counts from then.
    private func commitCompletion(
        of upload: StoredUpload,
        blob: any BlobWriter,
        bytes: Int64,
        sha256: String,
        tenant: Tenant
    ) async throws -> (StoredFile, [StoredPart]) {
        let now = clock.seconds
        let fileID = files.ids.fileID()
        var draft = files.newFile(
            id: fileID,
            tenant: tenant,
            purpose: upload.purpose,
            filename: upload.filename,
            bytes: bytes,
            lifetime: upload.fileLifetimeSeconds,
            now: upload.createdAt
        )
        draft.sha256 = sha256
        draft.contentType = upload.mimeType
        let completion: (StoredFile, [StoredPart])? = try await files.resetBarrier.write {
            try await blob.commit(as: fileID)
            do {
                return try await store.complete(uploadID: upload.id, tenant: tenant.key, file: draft, now: now)
            } catch {
                try? await files.blobs.removeBlob(id: fileID)
                throw error
            }
        }
        guard let completion else {
            // Completed, cancelled or expired by a concurrent request meanwhile.
            try? await files.blobs.removeBlob(id: fileID)
            _ = try await openUpload(id: upload.id, tenant: tenant, action: "complete")
            throw APIError.invalid("Cannot complete Upload \(upload.id): it is no longer pending.", param: nil, code: "upload_not_pending")
        }
        return completion
    }

    public func cancel(uploadID: String, tenant: Tenant) async throws -> StoredUpload {
        var upload = try await openUpload(id: uploadID, tenant: tenant, action: "cancel")
        guard let parts = try await store.cancel(uploadID: uploadID, tenant: tenant.key, now: clock.seconds) else {
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "cancel")
            throw APIError.invalid("Cannot cancel Upload \(uploadID): it is no longer pending.", param: nil, code: "upload_not_pending")
        }
        for part in parts { try? await files.blobs.removeBlob(id: part.id) }
        upload.status = .cancelled
        return upload
    }

    /// Removes the parts of uploads that expired (rows first, then blobs). Returns parts removed.
    public func sweepExpiredParts() async throws -> Int {
        var removed = 0
        while true {
            let parts = try await store.removeExpiredUploadParts(now: clock.seconds, limit: 500)
            for part in parts { try? await files.blobs.removeBlob(id: part.id) }
            removed += parts.count
            if parts.count < 500 { return removed }
        }
    }
}
