import Hummingbird
import NIOCore

extension FilesController {
    /// Room for multipart framing and the text fields on top of the file itself.
    static let formOverheadBytes: Int64 = 1 << 20

    /// `POST /v1/files`: the file part streams to a temp blob as it arrives; the file becomes
    /// visible only after validation, fsync, rename and the row commit.
    func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let boundary = try Self.multipartBoundary(request)
        if let declared = request.headers[.contentLength].flatMap(Int64.init),
            declared > service.settings.maxFileBytes + Self.formOverheadBytes
        {
            // Refused before a byte of the body is read.
            throw APIError.fileTooLarge
        }
        // The file part streams into this blob; whatever was not committed is gone when the scope ends.
        let file = try await service.blobs.withNewBlob { blob in
            var reader = MultipartFormReader(boundary: boundary)
            var form = FileUploadForm(blob: blob, hashing: service.settings.hashesUploads, sizeLimit: service.sizeLimit(for:))
            do {
                for try await chunk in request.body {
                    for event in try reader.feed(chunk) {
                        context.annotations.note(event)
                        try await form.handle(event)
                    }
                }
                try reader.finish()
            } catch {
                throw Self.translate(error)
            }
            return try await service.create(await form.createRequest(), tenant: tenant)
        }
        context.annotations.objectID = file.id
        return JSONResponse.make(fileObject(file))
    }

    static func multipartBoundary(_ request: Request) throws -> String {
        guard let contentType = request.headers[.contentType] else {
            throw APIError.invalid("Expected a multipart/form-data body: the Content-Type header is missing.", param: nil)
        }
        let header = ParameterizedHeader(parsing: contentType)
        guard header.type == "multipart/form-data" else {
            throw APIError.invalid("Expected a multipart/form-data body, got Content-Type '\(header.type)'.", param: nil)
        }
        guard let boundary = header.parameters["boundary"], MultipartFormReader.isUsableBoundary(boundary) else {
            throw APIError.invalid("The multipart/form-data Content-Type has no usable boundary parameter.", param: nil)
        }
        return boundary
    }

    static func translate(_ error: any Error) -> any Error {
        guard let readError = error as? MultipartFormReader.ReadError else { return error }
        switch readError {
        case .malformed:
            return APIError.invalid("The multipart/form-data body is malformed.", param: nil)
        case .truncated:
            return APIError.invalid("The multipart/form-data body ended before its closing boundary.", param: nil)
        case .headersTooLarge:
            return APIError.invalid("A multipart part has headers larger than 16 KiB.", param: nil)
        }
    }
}
