import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the requests `DirectFileReads` takes on the event loop, and hands every other request
/// on to Hummingbird's request loop unchanged. It sits just before that loop, after
/// `HTTPConnectionStateHandler`, which so sees every request and answer either way (idle timeout,
/// graceful shutdown).
///
/// Answers leave in request order: while a request handed on is unanswered (its answer's end has
/// not passed here on its way out), the requests behind it are handed on too.
final class DirectReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let reads: DirectFileReads
    /// The head of a request this handler may answer, until its end arrives.
    private var held: (head: HTTPRequest, read: DirectFileReads.Read)?
    /// Requests handed on whose answers have not ended yet.
    private var unansweredHandedOn = 0
    private var answeredSinceFlush = false
    /// The store's reader for this connection's event loop.
    private var store: (any ImmediateFileReads)?

    init(reads: DirectFileReads) {
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        store = reads.readers.reader(for: context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // A full outbound buffer is left to the request loop, which waits for it to drain.
            if unansweredHandedOn == 0, context.channel.isWritable, let read = reads.read(of: head) {
                held = (head, read)
            } else {
                handOn(head, context: context)
            }
        case .body:
            // A GET with a body after all (the header checks make this rare): not a plain read.
            if let held {
                self.held = nil
                handOn(held.head, context: context)
            }
            context.fireChannelRead(data)
        case .end:
            guard let held else { return context.fireChannelRead(data) }
            self.held = nil
            guard let store, let (response, body) = reads.answer(held.head, held.read, from: store) else {
                handOn(held.head, context: context)
                return context.fireChannelRead(data)
            }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            answeredSinceFlush = true
        }
    }

    /// Answers of a read cycle go out together, one flush for the pipelined requests of a read.
    func channelReadComplete(context: ChannelHandlerContext) {
        if answeredSinceFlush {
            answeredSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// Only the request loop's answers pass here (this handler's own start below it).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unansweredHandedOn -= 1 }
        context.write(data, promise: promise)
    }

    private func handOn(_ head: HTTPRequest, context: ChannelHandlerContext) {
        unansweredHandedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
