import Hummingbird
import NIOCore

/// What collects a multipart/form-data body's fields as `MultipartRequest.read` streams them in
/// (`FileUploadForm` for `POST /v1/files`, `PartUploadForm` for a Part).
protocol MultipartForm {
    mutating func handle(_ event: MultipartFormReader.Event) async throws
}

/// The one way a controller reads a multipart/form-data request: the boundary from the
/// `Content-Type`, then the body chunk by chunk through `MultipartFormReader` into a form, each
/// event noted for the request log, a reader's error answered as the API's 400.
enum MultipartRequest {
    /// Room for multipart framing and the text fields on top of a file's or a Part's bytes: a
    /// `Content-Length` past the limit plus this is refused before a byte is read.
    static let formOverheadBytes: Int64 = 1 << 20

    /// The boundary of a multipart/form-data request, or the 400 for any other body.
    static func boundary(of request: Request) throws -> String {
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

    /// Streams the whole body into `form`; it ends at the closing boundary or with an error.
    static func read<Form: MultipartForm>(
        _ request: Request,
        boundary: String,
        into form: inout Form,
        context: AppRequestContext
    ) async throws {
        var reader = MultipartFormReader(boundary: boundary)
        do {
            for try await chunk in request.body {
                for event in try reader.feed(chunk) {
                    context.annotations.note(event)
                    try await form.handle(event)
                }
            }
            try reader.finish()
        } catch {
            throw translate(error)
        }
    }

    /// A reader's error as the API's 400; any other error (the form's own) as it is.
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
