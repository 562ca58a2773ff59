import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the requests `DirectFileReads` takes, and hands every other request on to
/// Hummingbird's request loop unchanged. It sits just before that loop, after
/// `HTTPConnectionStateHandler`, which so sees every request and answer either way (idle timeout,
/// graceful shutdown). An embedded store's read is answered here on the event loop; a shared
/// store's in a task, whose answer is written back here on the loop.
///
/// Answers leave in request order: while a request handed on is unanswered (its answer's end has
/// not passed here on its way out), the requests behind it are handed on too; while a task reads,
/// the requests behind it wait here and the connection reads no more (`read`), so a pipelining
/// client cannot make them pile up.
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
    /// The store's reader for this connection's event loop; nil for a shared store.
    private var store: (any ImmediateFileReads)?
    /// A task is reading a shared store for a request: what arrives meanwhile waits in `waiting`.
    private var answeringLater = false
    private var waiting: [HTTPRequestPart] = []
    /// A read of the socket asked for while a task was reading, passed on when it is done.
    private var readDeferred = false

    init(reads: DirectFileReads) {
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        store = reads.readers?.reader(for: context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !answeringLater else { return waiting.append(part) }
        take(part, context: context)
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
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
            context.fireChannelRead(wrapInboundOut(part))
        case .end:
            guard let held else { return context.fireChannelRead(wrapInboundOut(part)) }
            self.held = nil
            guard let store else { return answerLater(held.head, held.read, end: part, context: context) }
            guard let (response, body) = reads.answer(held.head, held.read, from: store) else {
                handOn(held.head, context: context)
                return context.fireChannelRead(wrapInboundOut(part))
            }
            write(response, body, context: context)
        }
    }

    /// Reads a shared store in a task; the answer, or the request handed on, comes back here.
    private func answerLater(_ head: HTTPRequest, _ read: DirectFileReads.Read, end: HTTPRequestPart, context: ChannelHandlerContext) {
        answeringLater = true
        let reads = self.reads
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        Task {
            let answer = await reads.answerLater(head, read)
            loopBound.eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.finishAnswerLater(answer, head: head, end: end, context: context)
            }
        }
    }

    private func finishAnswerLater(_ answer: (HTTPResponse, ByteBuffer)?, head: HTTPRequest, end: HTTPRequestPart, context: ChannelHandlerContext) {
        answeringLater = false
        // Parts passed on here are outside a read cycle: the request loop's handler delivers what
        // it was given at the cycle's end, so this ends one for them.
        let passesOn = answer == nil || !waiting.isEmpty
        defer { if passesOn { context.fireChannelReadComplete() } }
        if let (response, body) = answer {
            write(response, body, context: context)
            answeredSinceFlush = false
            context.flush()
        } else {
            handOn(head, context: context)
            context.fireChannelRead(wrapInboundOut(end))
        }
        // What came meanwhile, in order, until another request is read in a task.
        while !answeringLater, !waiting.isEmpty {
            take(waiting.removeFirst(), context: context)
        }
        if answeredSinceFlush {
            answeredSinceFlush = false
            context.flush()
        }
        if !answeringLater, readDeferred {
            readDeferred = false
            context.read()
        }
    }

    private func write(_ response: HTTPResponse, _ body: ByteBuffer, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        answeredSinceFlush = true
    }

    /// Answers of a read cycle go out together, one flush for the pipelined requests of a read.
    func channelReadComplete(context: ChannelHandlerContext) {
        if answeredSinceFlush {
            answeredSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// No more of the socket is read while a task reads for a request (the rest waits in the
    /// kernel's buffer, and the client's sends slow down).
    func read(context: ChannelHandlerContext) {
        if answeringLater {
            readDeferred = true
        } else {
            context.read()
        }
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
