import Hummingbird
import NIOCore

/// Sends the interim `100 Continue` (`ExpectContinueHandler`) when the handler first reads the
/// body of a request that asked for it: by then auth, routing and the early size checks have
/// passed, and an answer that refuses the request goes out instead of the 100.
struct ExpectContinueMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let channel = context.channel, ExpectContinueHandler.expectsContinue(request.head) else {
            return try await next(request, context)
        }
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnFirstRead(body: request.body, channel: channel))
        return try await next(request, context)
    }
}

/// The request body, asking for the interim 100 before its first read.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var wrapped: RequestBody.AsyncIterator
        var channel: (any Channel)?

        mutating func next() async throws -> ByteBuffer? {
            if let channel {
                self.channel = nil
                channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue(), promise: nil)
            }
            return try await wrapped.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(wrapped: body.makeAsyncIterator(), channel: channel)
    }
}

extension ExpectContinueMiddleware: RouterOnlyRule {
    /// Any `Expect` at all: a plain read has no body to wait for.
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { head.headerFields[.expect] != nil }
}
