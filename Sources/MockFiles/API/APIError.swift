import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error the API answers with: renders itself as the OpenAI envelope
/// `{"error": {"message", "type", "param", "code"}, "detail": {"message", "code"}}`.
public struct APIError: Error, HTTPResponseError, Equatable, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public let type: String
    public let param: String?
    public let code: String?
    /// Extra headers (e.g. `retry-after`) that go out with the envelope.
    public var headers: HTTPFields = [:]

    public init(
        status: HTTPResponse.Status,
        message: String,
        type: String = "invalid_request_error",
        param: String? = nil,
        code: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The envelope as a complete response; usable outside a router (e.g. in middleware).
    public func response() -> Response {
        var headers = self.headers
        let body = self.envelopeBody()
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: body))
    }

    /// The one writer of every error answer, in the service's order and layout (FilesTests
    /// `*CanParseServiceError`, 2026-05-28): `error` with message, type, param, code (`param` and
    /// `code` always present, null or not), then `detail` repeating the message and code.
    func envelopeBody() -> ByteBuffer {
        var json = JSONWriter(capacity: 2 * message.utf8.count + 192)
        json.beginObject()
        json.key("error")
        writeErrorObject(to: &json)
        json.key("detail")
        json.beginObject()
        json.field("message", message)
        json.field("code", code)
        json.endObject()
        json.endObject()
        return json.finish()
    }

    /// `{"message", "type", "param", "code"}`: the `error` object of every error answer, and of a
    /// batch line the endpoint refused (`lineBody`).
    func writeErrorObject(to json: inout JSONWriter) {
        json.beginObject()
        json.field("message", message)
        json.field("type", type)
        json.field("param", param)
        json.field("code", code)
        json.endObject()
    }

    public static func == (lhs: APIError, rhs: APIError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.type == rhs.type && lhs.param == rhs.param
            && lhs.code == rhs.code
    }
}

extension APIError {
    /// `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.` (`'a' and 'b'` for two,
    /// `'a'` for one): the real service's enum template.
    static func notOneOf(_ value: String, _ allowed: [String], param: String) -> APIError {
        let quoted = allowed.map { "'\($0)'" }
        let list =
            switch quoted.count {
            case 0, 1: quoted.joined()
            case 2: "\(quoted[0]) and \(quoted[1])"
            default: quoted.dropLast().joined(separator: ", ") + ", and \(quoted[quoted.count - 1])"
            }
        return .invalid("Invalid value: '\(value)'. Supported values are: \(list).", param: param, code: "invalid_value")
    }

    /// 400 naming the offending parameter.
    static func invalid(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    static func fileNotFound(_ id: String) -> APIError {
        APIError(status: .notFound, message: "No such File object: \(id)", param: "id")
    }

    static func uploadNotFound(_ id: String) -> APIError {
        APIError(status: .notFound, message: "No such Upload object: \(id)", param: "id")
    }

    static func invalidURL(method: HTTPRequest.Method, path: String) -> APIError {
        APIError(status: .notFound, message: "Invalid URL (\(method.rawValue) \(path))")
    }

    static let missingAPIKey = APIError(
        status: .unauthorized,
        message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
            + "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API "
            + "from your browser and are prompted for a username and password. You can obtain an API key from "
            + "https://platform.openai.com/account/api-keys."
    )

    /// Two `Authorization` (or scope) headers: read as one they would name a third tenant.
    static func repeatedCredentialHeader(_ name: String) -> APIError {
        APIError(status: .unauthorized, message: "Send one \(name) header; this request has several.", param: nil, code: "invalid_api_key")
    }

    /// A key or scope header with bytes other than visible ASCII cannot be compared exactly.
    static func credentialNotASCII(_ name: String) -> APIError {
        APIError(
            status: .unauthorized,
            message: "The \(name) header may only hold visible ASCII characters; API keys, organization and project ids are made of them.",
            param: nil,
            code: "invalid_api_key"
        )
    }

    static func incorrectAPIKey(_ key: String) -> APIError {
        APIError(
            status: .unauthorized,
            message: "Incorrect API key provided: \(redactedKey(key)). You can find your API key at https://platform.openai.com/account/api-keys.",
            param: nil,
            code: "invalid_api_key"
        )
    }

    /// The header names an organization the key does not belong to (wording follows the real
    /// service's project-key errors as far as they are known; see docs/fidelity.md, "Where mockfiles' answers come from").
    static let mismatchedOrganization = APIError(
        status: .unauthorized,
        message: "OpenAI-Organization header should match organization for API key",
        param: nil,
        code: "mismatched_organization"
    )

    static let mismatchedProject = APIError(
        status: .unauthorized,
        message: "OpenAI-Project header should match project for API key",
        param: nil,
        code: "mismatched_project"
    )

    /// Over a size limit: the real service answers a batch file over 200 MB with this 400 (so the
    /// SDK raises `BadRequestError`); mockfiles uses it for every file, Upload and Part limit.
    static let fileTooLarge = APIError.invalid("File is too large.", param: nil)

    /// A required form field is missing, worded as the real service's JSON-schema check.
    static func requiredProperty(_ name: String) -> APIError {
        APIError.invalid("'\(name)' is a required property", param: nil)
    }

    /// A form field the endpoint does not know, worded as the real service's JSON-schema check.
    static func additionalProperty(_ name: String) -> APIError {
        APIError.invalid("Additional properties are not allowed ('\(name)' was unexpected)", param: nil)
    }

    static func internalError(requestID: String) -> APIError {
        APIError(
            status: .internalServerError,
            message: "The server had an error while processing your request. Sorry about that! "
                + "You can retry your request, or report the request ID \(requestID) if the error persists.",
            type: "server_error"
        )
    }

    /// Keys are echoed the way the real service does: first and last characters only.
    static func redactedKey(_ key: String) -> String {
        guard key.count > 8 else { return String(repeating: "*", count: key.count) }
        return "\(key.prefix(3))\(String(repeating: "*", count: min(key.count - 7, 20)))\(key.suffix(4))"
    }
}
