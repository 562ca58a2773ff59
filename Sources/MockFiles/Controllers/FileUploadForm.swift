import NIOCore

/// Collects the fields of `POST /v1/files` from multipart events, streaming the `file` part
/// into a blob as it arrives. Field order is free (the SDK sends `purpose` first, curl users
/// often `file` first).
struct FileUploadForm: MultipartForm {
    /// Text fields are small; a larger one is refused before it can cost memory.
    static let maxFieldBytes = 64 * 1024
    static let textFields: Set<String> = ["purpose", "expires_after[anchor]", "expires_after[seconds]"]

    private enum CurrentPart {
        case none
        case text(name: String, value: ByteBuffer)
        case file
    }

    /// Where the `file` part goes; its owner (`BlobStore.withNewBlob`) discards it unless committed.
    let blob: any BlobWriter
    /// The byte limit for the file given what is known so far (the purpose may come later).
    let sizeLimit: (_ purpose: String?) -> Int64
    private(set) var fields: [String: String] = [:]
    private(set) var filename: String?
    private(set) var hasFile = false
    private(set) var fileContentType: String?
    /// Of the file part, fed each chunk as it goes to the blob: no second read of the bytes.
    private var sha256 = StreamingSHA256()
    private var current = CurrentPart.none

    /// False skips the hash (the `fileDigests` setting).
    let hashing: Bool

    init(blob: any BlobWriter, hashing: Bool = true, sizeLimit: @escaping (_ purpose: String?) -> Int64) {
        self.blob = blob
        self.hashing = hashing
        self.sizeLimit = sizeLimit
    }

    /// What the form asked for; the hash of the file part is finished here.
    mutating func createRequest() async -> FileService.CreateRequest {
        let digest = hasFile && hashing ? await sha256.finalize() : nil
        return .init(
            purpose: fields["purpose"],
            filename: filename,
            expiresAfterAnchor: fields["expires_after[anchor]"],
            expiresAfterSeconds: fields["expires_after[seconds]"],
            blob: hasFile ? blob : nil,
            sha256: digest,
            contentType: fileContentType
        )
    }

    mutating func handle(_ event: MultipartFormReader.Event) async throws {
        switch event {
        case .partHeaders(let headers):
            try begin(headers)
        case .body(let bytes):
            switch current {
            case .text(let name, var value):
                guard value.readableBytes + bytes.readableBytes <= Self.maxFieldBytes else {
                    throw APIError.invalid("The '\(name)' field is larger than \(Self.maxFieldBytes) bytes.", param: name)
                }
                var bytes = bytes
                value.writeBuffer(&bytes)
                current = .text(name: name, value: value)
            case .file:
                if hashing { await sha256.update(bytes) }
                try await blob.write(bytes)
                if await blob.bytesWritten > sizeLimit(fields["purpose"]) { throw APIError.fileTooLarge }
            case .none:
                break
            }
        case .partEnd:
            if case .text(let name, let value) = current {
                fields[name] = String(buffer: value)
            }
            current = .none
        }
    }

    private mutating func begin(_ headers: PartHeaders) throws {
        guard let name = headers.fieldName else {
            throw APIError.invalid("Every multipart part needs a Content-Disposition header with a name.", param: nil)
        }
        if name == "file" {
            guard !hasFile else { throw APIError.invalid("Duplicate parameter 'file': send one file per request.", param: "file") }
            filename = headers.filename.flatMap { $0.isEmpty ? nil : $0 }
            fileContentType = headers.contentType
            hasFile = true
            current = .file
        } else if Self.textFields.contains(name) {
            guard fields[name] == nil else { throw APIError.invalid("Duplicate parameter '\(name)'.", param: name) }
            current = .text(name: name, value: ByteBuffer())
        } else {
            throw APIError.additionalProperty(name)
        }
    }
}
