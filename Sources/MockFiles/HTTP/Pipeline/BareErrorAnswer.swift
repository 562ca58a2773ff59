import HTTPTypes
import NIOCore
import NIOHTTP1

/// An error answer made below the router (the request never reached it), as raw bytes: the same
/// OpenAI envelope and headers as every other answer, and `Connection: close`.
enum BareErrorAnswer {
    static func make(status: HTTPResponseStatus, message: String, scope: DefaultScope, type: String = "invalid_request_error") -> ByteBuffer {
        let error = APIError(status: .init(code: Int(status.code)), message: message, type: type)
        let body = error.envelopeBody()
        let head = [
            "HTTP/1.1 \(status.code) \(status.reasonPhrase)",
            "content-type: application/json",
            "content-length: \(body.readableBytes)",
            "x-request-id: \(OpenAIHeadersMiddleware.makeRequestID())",
            "openai-version: 2020-10-01",
            "openai-processing-ms: 0",
            "openai-organization: \(scope.organization)",
            "openai-project: \(scope.project)",
            "x-content-type-options: nosniff",
            "connection: close",
        ].joined(separator: "\r\n")
        var buffer = ByteBuffer(string: head + "\r\n\r\n")
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
