import HTTPTypes
import NIOCore
import NIOHTTP1

/// An error answer made below the router (the request never reached it), as raw bytes: the same
/// OpenAI envelope and headers as every other answer, and `Connection: close`.
enum BareErrorAnswer {
    static func make(status: HTTPResponseStatus, message: String, scope: DefaultScope, type: String = "invalid_request_error") -> ByteBuffer {
        let error = APIError(status: .init(code: Int(status.code)), message: message, type: type)
        let body = error.envelopeBody()
        // The headers every answer carries, by the same rule (`OpenAIHeadersMiddleware.stamp`).
        var fields: HTTPFields = [.contentType: "application/json", .contentLength: String(body.readableBytes)]
        OpenAIHeadersMiddleware.stamp(&fields, requestID: OpenAIHeadersMiddleware.makeRequestID(), since: .now, scope: scope)
        fields[.connection] = "close"
        let head = (["HTTP/1.1 \(status.code) \(status.reasonPhrase)"] + fields.map { "\($0.name.canonicalName): \($0.value)" })
            .joined(separator: "\r\n")
        var buffer = ByteBuffer(string: head + "\r\n\r\n")
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
