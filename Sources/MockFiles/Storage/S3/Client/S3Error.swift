import NIOCore

/// Every failure the client reports itself (transport errors pass through as AsyncHTTPClient's).
/// A struct over a private enum, as postgres-nio's `PSQLError`, so that new cases are not a
/// breaking change; match on `kind` and, for an S3 answer, on `code`.
///
/// It carries what S3 said (status, `Code`, `Message`, request id) and nothing of the request:
/// never a credential, signature or canonical request, even where S3 echoes those back.
public struct S3Error: Error, Sendable, Hashable {
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case errorResponse, invalidResponse, invalidRequest
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// S3 answered with an error (a non-2xx status, or an `<Error>` inside a 200).
        public static let errorResponse = Kind(.errorResponse)
        /// The answer was not what S3 sends (unparsable XML, missing ETag, body cut short…).
        public static let invalidResponse = Kind(.invalidResponse)
        /// Nothing was sent: the request cannot be expressed (an endpoint with a path, an empty copy range).
        public static let invalidRequest = Kind(.invalidRequest)

        public var description: String { "\(base)" }
    }

    public var kind: Kind
    /// HTTP status of the answer, when there was one.
    public var status: Int?
    /// S3's error code: `NoSuchBucket`, `NoSuchKey`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`…
    public var code: String?
    /// S3's message, or the client's own explanation.
    public var message: String?
    public var requestID: String?

    static func errorResponse(status: Int, code: String?, message: String?, requestID: String?) -> S3Error {
        S3Error(kind: .errorResponse, status: status, code: code, message: message, requestID: requestID)
    }
    static func invalidResponse(_ message: String, status: Int? = nil) -> S3Error {
        S3Error(kind: .invalidResponse, status: status, message: message)
    }
    static func invalidRequest(_ message: String) -> S3Error {
        S3Error(kind: .invalidRequest, message: message)
    }

    /// Reads S3's `<Error>` document; a body that is not one (HEAD answers have none) leaves
    /// `code` nil, and the status speaks alone.
    static func from(status: Int, body: ByteBuffer, requestID: String?) -> S3Error {
        let error = XMLTree.parse(body).flatMap { $0.name == "Error" ? $0 : nil }
        return .errorResponse(
            status: status,
            code: error?.value("Code"),
            message: error?.value("Message"),
            requestID: error?.value("RequestId") ?? requestID
        )
    }
}

extension S3Error: CustomStringConvertible {
    public var description: String {
        var text = "S3Error.\(kind)"
        if let status { text += " \(status)" }
        if let code { text += " \(code)" }
        if let message { text += ": \(message)" }
        if let requestID { text += " (request id \(requestID))" }
        return text
    }
}
