/// The rules of `/v1/files`: ids, clock, purposes, limits, expiry, tenancy. Knows nothing of
/// HTTP; controllers hand it parsed requests and render what it returns.
public struct FileService: Sendable {
    public struct Settings: Sendable {
        public var maxFileBytes: Int64 = 512 * 1024 * 1024
        public var maxBatchFileBytes: Int64 = 200 * 1024 * 1024
        /// Purposes whose content `GET /v1/files/{id}/content` serves; by default those the real
        /// service serves (see `Purpose.notDownloadableByDefault`).
        public var downloadablePurposes = Set(Purpose.allCases).subtracting(Purpose.notDownloadableByDefault)
        /// New files report `status: uploaded` this long before `processed` (0: processed at once).
        public var processingDelaySeconds: Double = 0
        /// How long a deleted file's position is remembered so paging can continue after it.
        public var tombstoneRetentionSeconds: Int64 = 86_400
        /// SHA-256 of every `POST /v1/files` body as it streams in (`fileDigests`); off, those
        /// files have no digest (bench row 4 sha compares the two).
        public var hashesUploads = true
        /// Bytes one tenant's visible files may hold together (`storageQuotaBytes`); nil: no quota.
        public var storageQuotaBytes: Int64?

        public init() {}
    }

    /// The fields of `POST /v1/files` as received; the file bytes are already in `blob`.
    public struct CreateRequest: Sendable {
        public var purpose: String?
        public var filename: String?
        public var expiresAfterAnchor: String?
        public var expiresAfterSeconds: String?
        public var blob: (any BlobWriter)?
        /// Of the file part's bytes, hashed as they were written to `blob`.
        public var sha256: String?
        /// The file part's own `Content-Type`, as sent.
        public var contentType: String?

        public init(
            purpose: String? = nil,
            filename: String? = nil,
            expiresAfterAnchor: String? = nil,
            expiresAfterSeconds: String? = nil,
            blob: (any BlobWriter)? = nil,
            sha256: String? = nil,
            contentType: String? = nil
        ) {
            self.purpose = purpose
            self.filename = filename
            self.expiresAfterAnchor = expiresAfterAnchor
            self.expiresAfterSeconds = expiresAfterSeconds
            self.blob = blob
            self.sha256 = sha256
            self.contentType = contentType
        }
    }

    /// Where files are kept; every change goes through its operations.
    public let store: FileStore
    public let clock: ServiceClock
    public let settings: Settings

    public init(store: FileStore, clock: ServiceClock, settings: Settings) {
        self.store = store
        self.clock = clock
        self.settings = settings
    }

    /// The most bytes a file of this purpose may have (the general limit while the purpose is unknown).
    public func sizeLimit(for purpose: String?) -> Int64 {
        purpose == Purpose.batch.rawValue ? min(settings.maxBatchFileBytes, settings.maxFileBytes) : settings.maxFileBytes
    }

    /// Validates, then stores the file (`FileStore.createFile`): it is visible only once its
    /// blob and row are both durable. The blob belongs to the caller's `withNewBlob` scope, which
    /// drops it when anything here refuses.
    public func create(_ request: CreateRequest, tenant: Tenant) async throws -> StoredFile {
        let (purpose, filename, lifetime, blob) = try await validate(request)
        var draft = newFile(
            tenant: tenant,
            purpose: purpose.rawValue,
            filename: filename,
            bytes: await blob.bytesWritten,
            lifetime: lifetime,
            now: clock.seconds
        )
        draft.sha256 = request.sha256
        draft.contentType = request.contentType
        try await checkQuota(adding: draft.bytes, tenant: tenant)
        return try await store.createFile(draft, from: blob)
    }

    /// A new file's metadata (not yet stored, so without its id), with its expiry and processing time.
    func newFile(tenant: Tenant, purpose: String, filename: String, bytes: Int64, lifetime: Int64?, now: Int64) -> StoredFile {
        StoredFile(
            id: "",
            tenant: tenant.key,
            purpose: purpose,
            filename: filename,
            bytes: bytes,
            createdAt: now,
            expiresAt: lifetime.map { now.saturatingAdd($0) },
            processedAtMilliseconds: settings.processingDelaySeconds > 0
                ? Int64(saturating: ((clock.now + settings.processingDelaySeconds) * 1000).rounded(.up)) : nil
        )
    }

    private func validate(_ request: CreateRequest) async throws -> (Purpose, String, Int64?, any BlobWriter) {
        // The real service checks the form against a JSON schema: `file` first, then `purpose`.
        guard let blob = request.blob else { throw APIError.requiredProperty("file") }
        guard let rawPurpose = request.purpose else { throw APIError.requiredProperty("purpose") }
        let purpose = try Purpose.creatable(rawPurpose)
        let filename = request.filename ?? "upload"
        let size = await blob.bytesWritten
        let limit = sizeLimit(for: rawPurpose)
        if size > limit { throw APIError.fileTooLarge }
        let lifetime = try ExpiryPolicy.lifetime(
            anchor: request.expiresAfterAnchor,
            seconds: request.expiresAfterSeconds,
            purpose: purpose
        )
        try purpose.checkFilename(filename)
        switch purpose {
        case .fineTune: try await validateJSONLines(blob)
        case .batch: try await validateFirstBatchLine(blob)
        default: break
        }
        return (purpose, filename, lifetime, blob)
    }

    /// A visible file of this tenant, or 404.
    public func retrieve(id: String, tenant: Tenant) async throws -> StoredFile {
        try visible(try await store.reads.file(id: id, tenant: tenant.key), id: id)
    }

    /// `retrieve` on the calling thread, from a store that reads at once (`DirectFileReads`).
    func retrieve(id: String, tenant: Tenant, from store: any ImmediateFileReads) throws -> StoredFile {
        try visible(try store.fileNow(id: id, tenant: tenant.key), id: id)
    }

    private func visible(_ file: StoredFile?, id: String) throws(APIError) -> StoredFile {
        guard let file, file.isVisible(at: clock.seconds) else { throw APIError.fileNotFound(id) }
        return file
    }

    /// Removes the row (it is invisible from here on), then the blob.
    public func delete(id: String, tenant: Tenant) async throws -> StoredFile {
        _ = try await retrieve(id: id, tenant: tenant)
        guard let file = try await store.removeFile(id: id, tenant: tenant.key, at: clock.seconds) else {
            throw APIError.fileNotFound(id)
        }
        return file
    }

    /// A visible file of this tenant whose bytes may be handed out, or the service's refusal.
    public func downloadableFile(id: String, tenant: Tenant) async throws -> StoredFile {
        let file = try await retrieve(id: id, tenant: tenant)
        guard let purpose = Purpose(rawValue: file.purpose), settings.downloadablePurposes.contains(purpose) else {
            throw APIError.invalid("Not allowed to download files of purpose: \(file.purpose)", param: nil)
        }
        return file
    }

    /// `processed`, or `uploaded` while a simulated processing delay runs.
    public func status(of file: StoredFile) -> String {
        guard let processedAtMilliseconds = file.processedAtMilliseconds else { return "processed" }
        return clock.now * 1000 >= Double(processedAtMilliseconds) ? "processed" : "uploaded"
    }
}
