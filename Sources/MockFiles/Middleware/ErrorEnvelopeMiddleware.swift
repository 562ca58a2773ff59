import Hummingbird
import Logging
import NIOHTTP1

/// Turns anything thrown below into the OpenAI error envelope. Hummingbird would answer a
/// foreign error with an empty 500; a client of this server always gets JSON it can read.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is FaultMiddleware.DroppedConnection {
            // Not a server error: 499 ("client closed request", as nginx logs it) marks it in the
            // request log and metrics; the connection is closed once that is done (`RequestLogMiddleware`).
            return Self.clientClosedRequest
        } catch HTTPParserError.invalidEOFState {
            // The client closed the connection mid-body: nobody is left to answer, and it is no
            // bad request either. 499 in the request log and metrics, as for a dropped connection.
            context.logger.info("client closed the connection mid-request", metadata: ["request_id": "\(context.requestID)"])
            return Self.clientClosedRequest
        } catch {
            let envelope = Self.envelope(for: error, request: request, context: context)
            // The request log shows which error a request got without parsing the body.
            context.annotations.error = .init(type: envelope.type, code: envelope.code, param: envelope.param)
            return envelope.response()
        }
    }

    /// A connection the client or a fault closed: nobody is left to answer.
    static func closedConnection(_ error: any Error) -> Bool {
        if error is FaultMiddleware.DroppedConnection { return true }
        if let error = error as? HTTPParserError, case .invalidEOFState = error { return true }
        return false
    }

    /// The envelope for anything thrown but a closed connection.
    static func envelope(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return envelope(for: error, request: request)
        case let error as HTTPParserError:
            // The client garbled the request's framing: its fault, not a server error.
            context.logger.info("request ended early", metadata: ["error": "\(error)", "request_id": "\(context.requestID)"])
            return APIError(status: .badRequest, message: "The request body was not valid HTTP: \(error).", param: nil)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "request_id": "\(context.requestID)"])
            return APIError.internalError(requestID: context.requestID)
        }
    }

    static var clientClosedRequest: Response { Response(status: .init(code: 499, reasonPhrase: "Client Closed Request")) }

    /// Hummingbird's own errors (no route, body too large, bad JSON) in the real service's words.
    static func envelope(for error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound, .methodNotAllowed:
            return .invalidURL(method: request.method, path: request.uri.path)
        case .contentTooLarge:
            return APIError(status: .contentTooLarge, message: "Request body is too large.", param: nil)
        default:
            return APIError(
                status: error.status,
                message: error.body ?? error.status.reasonPhrase,
                type: error.status.code >= 500 ? "server_error" : "invalid_request_error"
            )
        }
    }
}

extension ErrorEnvelopeMiddleware: RouterOnlyRule {
    /// It acts only on errors, and the direct reads leave every answer but a 200 to the router.
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }
}
