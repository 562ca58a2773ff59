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
        let body = ByteBuffer(bytes: try encoder.encode(value))
        return Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body)
        )
    }
}
