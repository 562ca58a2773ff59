import Hummingbird
import NIOCore

extension FilesController {
    /// `POST /v1/files`: the file part streams to a temp blob as it arrives; the file becomes
    /// visible only after validation, fsync, rename and the row commit.
    func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let boundary = try MultipartRequest.boundary(of: request)
        if let declared = request.headers[.contentLength].flatMap(Int64.init),
            declared > service.settings.maxFileBytes + MultipartRequest.formOverheadBytes
        {
            // Refused before a byte of the body is read.
            throw APIError.fileTooLarge
        }
        // The file part streams into this blob; whatever was not committed is gone when the scope ends.
        let file = try await service.store.withNewBlob { blob in
            var form = FileUploadForm(blob: blob, hashing: service.settings.hashesUploads, sizeLimit: service.sizeLimit(for:))
            try await MultipartRequest.read(request, boundary: boundary, into: &form, context: context)
            return try await service.create(await form.createRequest(), tenant: tenant)
        }
        context.annotations.objectID = file.id
        return JSONResponse.make(fileObject(file))
    }
}
