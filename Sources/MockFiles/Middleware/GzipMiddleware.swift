import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// gzip-compresses JSON answers for clients that accept it (the OpenAI SDKs send
/// `Accept-Encoding: gzip`) when the body is large enough to gain. File content is sent as stored.
struct GzipMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Below this, gzip's header and CPU cost outweigh the bytes saved.
    let minimumBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard
            Self.compresses(
                response.headers,
                length: response.body.contentLength,
                acceptEncoding: request.headers[.acceptEncoding],
                minimumBytes: minimumBytes
            )
        else { return response }
        var compressedResponse = response
        let compressed = try await SlicedGzip.compress(try await Self.collect(response.body))
        Self.markCompressed(&compressedResponse.headers, length: compressed.readableBytes)
        compressedResponse.body = ResponseBody(byteBuffer: compressed)
        return compressedResponse
    }

    /// Whether an answer with these headers and this many bytes is sent compressed. Also the rule
    /// of `DirectFileReads`, as is `compressHere`.
    static func compresses(_ headers: HTTPFields, length: Int?, acceptEncoding: String?, minimumBytes: Int) -> Bool {
        guard let length, length >= minimumBytes, headers[.contentEncoding] == nil,
            headers[.contentType]?.hasPrefix("application/json") == true
        else { return false }
        return acceptsGzip(acceptEncoding)
    }

    /// The body gzipped on the calling thread, with the headers that say so (`DirectFileReads`,
    /// whose pages are small).
    static func compressHere(_ plain: ByteBuffer, headers: inout HTTPFields) throws -> ByteBuffer {
        let compressed = try SlicedGzip.compressOnThisThread(plain)
        markCompressed(&headers, length: compressed.readableBytes)
        return compressed
    }

    static func markCompressed(_ headers: inout HTTPFields, length: Int) {
        headers[.contentEncoding] = "gzip"
        headers[.contentLength] = String(length)
        headers[values: .vary] = ["Accept-Encoding"]
    }

    /// `gzip` listed with a non-zero quality.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "gzip" || parts.first == "*" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let box = NIOLockedValueBox(ByteBuffer())
        try await body.write(CollectingWriter(box: box))
        return box.withLockedValue { $0 }
    }

    struct CollectingWriter: ResponseBodyWriter {
        let box: NIOLockedValueBox<ByteBuffer>
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            box.withLockedValue { collected in
                // A JSON answer is one buffer: kept as it is, not copied (2 MB for the default page).
                if collected.readableBytes == 0 {
                    collected = buffer
                } else {
                    collected.writeBuffer(&buffer)
                }
            }
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

extension GzipMiddleware: RequestRule {
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool { true }

    /// Compressed on the event loop: a direct read's page is small (`DirectFileReads.largestPage`).
    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool {
        let acceptEncoding = answer.head.headerFields[.acceptEncoding]
        guard Self.compresses(answer.headers, length: answer.body.readableBytes, acceptEncoding: acceptEncoding, minimumBytes: minimumBytes)
        else { return true }
        guard let compressed = try? Self.compressHere(answer.body, headers: &answer.headers) else { return false }
        answer.body = compressed
        return true
    }

    func recordDirectAnswer(_ answer: DirectAnswer) {}
}
