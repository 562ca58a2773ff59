import Foundation
import HTTPTypes
import Hummingbird

/// Refuses compressed request bodies. The OpenAI SDKs never send them, and not decoding them
/// means no decompression bomb can cost memory or disk: the body is refused before it is read.
struct ContentEncodingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let encoding = request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased(),
            !encoding.isEmpty, encoding != "identity"
        {
            throw APIError(
                status: .unsupportedMediaType,
                message: "Request bodies with Content-Encoding '\(encoding)' are not accepted; send the body uncompressed.",
                param: nil,
                code: "unsupported_content_encoding"
            )
        }
        return try await next(request, context)
    }
}

extension ContentEncodingMiddleware: RouterOnlyRule {
    /// Any `Content-Encoding` at all, `identity` too: a plain read has no body to encode.
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { head.headerFields[.contentEncoding] != nil }
}
