import CompressNIO
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
            Self.acceptsGzip(request.headers[.acceptEncoding]),
            response.headers[.contentEncoding] == nil,
            response.headers[.contentType]?.hasPrefix("application/json") == true,
            let length = response.body.contentLength, length >= minimumBytes
        else { return response }
        var compressedResponse = response
        var plain = try await Self.collect(response.body)
        let compressed = try plain.compress(with: Self.algorithm)
        compressedResponse.body = ResponseBody(byteBuffer: compressed)
        compressedResponse.headers[.contentEncoding] = "gzip"
        compressedResponse.headers[.contentLength] = String(compressed.readableBytes)
        compressedResponse.headers[values: .vary] = ["Accept-Encoding"]
        return compressedResponse
    }

    /// zlib's fastest level: on the default list page (10,000 files, ~2 MB of JSON) it costs a
    /// fraction of level 6's CPU for a body about 4 % larger (bench row 2 page).
    static let algorithm = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .fastestCompression))

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
            _ = box.withLockedValue { $0.writeBuffer(&buffer) }
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
