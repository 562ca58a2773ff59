import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The `application/json` answers: API objects through `JSONWriter`, the admin API's through JSONEncoder.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Our own objects (the admin API), which the real service has no layout for.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        make(body: ByteBuffer(bytes: try encoder.encode(value)), status: status)
    }

    /// An API object in the service's own layout and key order (`JSONWriter`).
    static func make(_ object: some APIObject, status: HTTPResponse.Status = .ok) -> Response {
        make(body: object.jsonBody(), status: status)
    }

    static func make(body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: headers(of: body), body: .init(byteBuffer: body))
    }

    /// What every JSON answer starts with, before the middleware add theirs.
    static func headers(of body: ByteBuffer) -> HTTPFields {
        [.contentType: "application/json", .contentLength: String(body.readableBytes)]
    }
}
