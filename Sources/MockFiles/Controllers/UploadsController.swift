import Hummingbird
import NIOCore

/// `/v1/uploads`: create, add parts, complete, cancel.
struct UploadsController {
    let service: UploadService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("uploads", use: create)
        group.post("uploads/{id}/parts", use: addPart)
        group.post("uploads/{id}/complete", use: complete)
        group.post("uploads/{id}/cancel", use: cancel)
    }

    func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let body = try await JSONBody.read(request)
        try body.requireOnly(["filename", "purpose", "bytes", "mime_type", "expires_after"])
        // Read in the order the fields' errors are answered.
        let filename = try body.requiredString("filename")
        let purpose = try Purpose.creatable(try body.requiredString("purpose"))
        let bytes = try body.requiredInteger("bytes")
        let mimeType = try body.requiredString("mime_type")
        let expiry = try body.optionalObject("expires_after")
        try expiry?.requireOnly(["anchor", "seconds"])
        let request = UploadService.CreateRequest(
            filename: filename,
            purpose: purpose,
            bytes: bytes,
            mimeType: mimeType,
            expiresAfterAnchor: try expiry?.optionalString("anchor"),
            expiresAfterSeconds: try expiry.map { try $0.fields["seconds"] == nil ? nil : String($0.requiredInteger("seconds")) } ?? nil
        )
        let upload = try await service.create(request, tenant: tenant)
        context.annotations.objectID = upload.id
        return JSONResponse.make(UploadObject(upload, status: upload.visibleStatus(at: service.files.clock.seconds)))
    }

    /// The `data` field streams to a blob; 413 as soon as it passes the part limit.
    func addPart(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let uploadID = try context.parameters.require("id")
        // Refuse early, before reading a byte, when the upload cannot take parts.
        _ = try await service.openUpload(id: uploadID, tenant: tenant, action: "add a Part to")
        let boundary = try MultipartRequest.boundary(of: request)
        let limit = service.settings.maxPartBytes
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > limit + MultipartRequest.formOverheadBytes {
            throw APIError.fileTooLarge
        }
        let part = try await service.store.withNewBlob { blob in
            var form = PartUploadForm(blob: blob, limit: limit)
            try await MultipartRequest.read(request, boundary: boundary, into: &form, context: context)
            guard form.hasData else { throw APIError.requiredProperty("data") }
            return try await service.addPart(uploadID: uploadID, blob: blob, tenant: tenant)
        }
        return JSONResponse.make(UploadPartObject(part))
    }

    func complete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let uploadID = try context.parameters.require("id")
        let body = try await JSONBody.read(request)
        try body.requireOnly(["part_ids", "md5"])
        let partIDs = try body.requiredStringArray("part_ids")
        let md5 = try body.optionalString("md5")
        if let md5, md5.count != 32 || !md5.allSatisfy(\.isHexDigit) {
            throw APIError.invalid("Invalid value for 'md5': expected 32 hexadecimal digits.", param: "md5")
        }
        let (upload, file) = try await service.complete(uploadID: uploadID, partIDs: partIDs, md5: md5, tenant: tenant)
        context.annotations.objectID = file.id
        let fileObject = FileObject(file, status: service.files.status(of: file))
        return JSONResponse.make(UploadObject(upload, status: "completed", file: fileObject))
    }

    func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let upload = try await service.cancel(uploadID: try context.parameters.require("id"), tenant: try context.requireTenant)
        return JSONResponse.make(UploadObject(upload, status: "cancelled"))
    }
}

/// Streams the `data` field of a part upload into a blob, within the part limit.
struct PartUploadForm: MultipartForm {
    /// Owned by `BlobStore.withNewBlob`, which discards it unless committed.
    let blob: any BlobWriter
    let limit: Int64
    private(set) var hasData = false
    private var inData = false

    init(blob: any BlobWriter, limit: Int64) {
        self.blob = blob
        self.limit = limit
    }

    mutating func handle(_ event: MultipartFormReader.Event) async throws {
        switch event {
        case .partHeaders(let headers):
            guard headers.fieldName == "data" else { throw APIError.additionalProperty(headers.fieldName ?? "") }
            guard !hasData else { throw APIError.invalid("Duplicate parameter 'data': send one chunk per Part.", param: "data") }
            hasData = true
            inData = true
        case .body(let bytes):
            guard inData else { return }
            try await blob.write(bytes)
            if await blob.bytesWritten > limit { throw APIError.fileTooLarge }
        case .partEnd:
            inData = false
        }
    }
}
