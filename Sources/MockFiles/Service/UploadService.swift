/// The rules of `/v1/uploads`: an Upload collects Parts for an hour, then becomes one File on
/// `complete`, atomically, or nothing on `cancel`/expiry.
public struct UploadService: Sendable {
    public struct Settings: Sendable {
        public var maxUploadBytes: Int64 = 8 * 1024 * 1024 * 1024
        public var maxPartBytes: Int64 = 64 * 1024 * 1024
        public var uploadLifetimeSeconds: Int64 = 3600
        public init() {}
    }

    /// The fields of `POST /v1/uploads`, their JSON types checked; their rules are checked here.
    public struct CreateRequest: Sendable {
        public var filename: String
        public var purpose: Purpose
        public var bytes: Int64
        public var mimeType: String
        public var expiresAfterAnchor: String?
        /// As a decimal integer (`ExpiryPolicy` reads both APIs' forms).
        public var expiresAfterSeconds: String?

        public init(
            filename: String,
            purpose: Purpose,
            bytes: Int64,
            mimeType: String,
            expiresAfterAnchor: String? = nil,
            expiresAfterSeconds: String? = nil
        ) {
            self.filename = filename
            self.purpose = purpose
            self.bytes = bytes
            self.mimeType = mimeType
            self.expiresAfterAnchor = expiresAfterAnchor
            self.expiresAfterSeconds = expiresAfterSeconds
        }
    }

    public let files: FileService
    public let settings: Settings
    var clock: ServiceClock { files.clock }
    var store: FileStore { files.store }

    public init(files: FileService, settings: Settings) {
        self.files = files
        self.settings = settings
    }

    public func create(_ request: CreateRequest, tenant: Tenant) async throws -> StoredUpload {
        let requestedLifetime = try ExpiryPolicy.lifetime(
            anchor: request.expiresAfterAnchor,
            seconds: request.expiresAfterSeconds,
            purpose: request.purpose,
            paramStyle: .json
        )
        let fileLifetime = try checkFields(
            filename: request.filename,
            purpose: request.purpose,
            bytes: request.bytes,
            mimeType: request.mimeType,
            fileLifetimeSeconds: requestedLifetime
        )
        try await files.checkQuota(adding: request.bytes, tenant: tenant)
        let now = clock.seconds
        let draft = StoredUpload(
            id: "",
            tenant: tenant.key,
            filename: request.filename,
            purpose: request.purpose.rawValue,
            bytes: request.bytes,
            mimeType: request.mimeType,
            createdAt: now,
            expiresAt: now.saturatingAdd(settings.uploadLifetimeSeconds),
            fileLifetimeSeconds: fileLifetime,
            status: .pending
        )
        return try await store.createUpload(draft)
    }

    /// An upload of this tenant that still accepts parts, complete or cancel; otherwise 404 or 400.
    public func openUpload(id: String, tenant: Tenant, action: String) async throws -> StoredUpload {
        guard let upload = try await store.reads.upload(id: id, tenant: tenant.key) else { throw APIError.uploadNotFound(id) }
        let status = upload.visibleStatus(at: clock.seconds)
        guard status == "pending" else {
            throw APIError.invalid("Cannot \(action) Upload \(id): its status is '\(status)'.", param: nil, code: "upload_not_pending")
        }
        return upload
    }

    /// Stores a streamed part (`FileStore.addPart`): its row exists only if the upload was still
    /// open at that moment and its parts stay within its `bytes`. The blob belongs to the caller's
    /// `withNewBlob` scope, which drops it when anything here refuses.
    public func addPart(uploadID: String, blob: any BlobWriter, tenant: Tenant) async throws -> StoredPart {
        _ = try await openUpload(id: uploadID, tenant: tenant, action: "add a Part to")
        let draft = StoredPart(id: "", uploadID: uploadID, bytes: await blob.bytesWritten, createdAt: clock.seconds)
        let part: StoredPart?
        do {
            part = try await store.addPart(draft, from: blob, tenant: tenant.key, now: clock.seconds)
        } catch let exceeded as PartExceedsUpload {
            throw Self.partTooLarge(exceeded, uploadID: uploadID)
        }
        guard let part else {
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "add a Part to")
            throw APIError.invalid("Cannot add a Part to Upload \(uploadID): it is no longer pending.", param: nil, code: "upload_not_pending")
        }
        return part
    }

    /// No Upload holds more than it declared; the real service's answer is unknown (docs/fidelity.md, "Where mockfiles' answers come from").
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
        let parts = Dictionary(uniqueKeysWithValues: try await store.reads.parts(ofUpload: uploadID).map { ($0.id, $0) })
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
        let stored: StoredFile?
        do {
            stored = try await store.completeUpload(upload, joining: partIDs, computingMD5: md5 != nil, now: clock.seconds) { digests in
                if let md5, md5.lowercased() != digests.md5 {
                    throw APIError.invalid("The md5 checksum '\(md5)' does not match the uploaded bytes (md5 \(digests.md5 ?? "?")).", param: "md5")
                }
                // No check of the bytes themselves: the service completed a `fine-tune` Upload of
                // the bytes 1...8 (UploadsTests, 2025-09), where `POST /v1/files` refuses non-JSONL.
                return completedFile(of: upload, bytes: total, sha256: digests.sha256, tenant: tenant)
            }
        } catch BlobStoreError.missingBlob {
            // A concurrent cancel or complete removed the parts: answer as the loser of that race.
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "complete")
            throw APIError.invalid("Cannot complete Upload \(uploadID): its Parts were removed meanwhile.", param: nil, code: "upload_not_pending")
        }
        guard let file = stored else {
            // Completed, cancelled or expired by a concurrent request meanwhile.
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "complete")
            throw APIError.invalid("Cannot complete Upload \(uploadID): it is no longer pending.", param: nil, code: "upload_not_pending")
        }
        var completed = upload
        completed.status = .completed
        completed.fileID = file.id
        return (completed, file)
    }

    /// The File a completed Upload becomes (named when stored). It is dated when the Upload was
    /// created, as the service's are (`CompleteUploadWorks`, 2025-09: `file.created_at` is the
    /// Upload's), and its expiry counts from then.
    private func completedFile(of upload: StoredUpload, bytes: Int64, sha256: String, tenant: Tenant) -> StoredFile {
        var file = files.newFile(
            tenant: tenant,
            purpose: upload.purpose,
            filename: upload.filename,
            bytes: bytes,
            lifetime: upload.fileLifetimeSeconds,
            now: upload.createdAt
        )
        file.sha256 = sha256
        file.contentType = upload.mimeType
        return file
    }

    public func cancel(uploadID: String, tenant: Tenant) async throws -> StoredUpload {
        var upload = try await openUpload(id: uploadID, tenant: tenant, action: "cancel")
        guard try await store.cancelUpload(id: uploadID, tenant: tenant.key, now: clock.seconds) != nil else {
            _ = try await openUpload(id: uploadID, tenant: tenant, action: "cancel")
            throw APIError.invalid("Cannot cancel Upload \(uploadID): it is no longer pending.", param: nil, code: "upload_not_pending")
        }
        upload.status = .cancelled
        return upload
    }
}
