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
        make(body: body(file: file), status: .ok)
    }

    static func make(page: FileListObject) -> Response {
        make(body: body(page: page), status: .ok)
    }

    static func body(file: FileObject) -> ByteBuffer {
        var body = ByteBuffer()
        file.writeJSON(to: &body)
        return body
    }

    static func body(page: FileListObject) -> ByteBuffer {
        var body = ByteBufferAllocator().buffer(capacity: 256 * (page.data.count + 1))
        page.writeJSON(to: &body)
        return body
    }

    static func make(body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: headers(of: body), body: .init(byteBuffer: body))
    }

    /// What every JSON answer starts with, before the middleware add theirs.
    static func headers(of body: ByteBuffer) -> HTTPFields {
        [.contentType: "application/json", .contentLength: String(body.readableBytes)]
    }
}
