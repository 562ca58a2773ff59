import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Renders an `Encodable` as the `application/json` answer every API endpoint gives.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        make(body: ByteBuffer(bytes: try encoder.encode(value)), status: status)
    }

    /// File objects and list pages, which write themselves (the same bytes, without JSONEncoder).
    static func make(file: FileObject) -> Response {
        var body = ByteBuffer()
        file.writeJSON(to: &body)
        return make(body: body, status: .ok)
    }

    static func make(page: FileListObject) -> Response {
        var body = ByteBufferAllocator().buffer(capacity: 256 * (page.data.count + 1))
        page.writeJSON(to: &body)
        return make(body: body, status: .ok)
    }

    static func make(body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body)
        )
    }
}
