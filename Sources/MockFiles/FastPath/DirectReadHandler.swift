import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the requests `DirectFileReads` takes on the event loop, and hands every other request
/// on to Hummingbird's request loop unchanged. It sits just before that loop, after
/// `HTTPConnectionStateHandler`, which so sees every request and answer either way (idle timeout,
/// graceful shutdown). An embedded store is read at once; a shared one through the loop's own
/// database connection, whose answer comes back here later, on the same loop.
///
/// Answers leave in request order: while a request handed on is unanswered (its answer's end has
/// not passed here on its way out), the requests behind it are handed on too. While a shared read
/// is under way, everything that arrives behind it (request parts, events, errors) waits here in
/// order and the connection reads no more (`read`), so a pipelining client cannot pile them up.
final class DirectReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The head of a request this handler may answer, until its end arrives, with the controls'
    /// generation when it came (`DirectFileReads.controlsGeneration`).
    private struct Held {
        var head: HTTPRequest
        var read: DirectFileReads.Read
        var controlsGeneration: Int64
    }

    /// What arrived while a shared read was under way, passed on in order after it.
    private enum Arrival {
        case part(HTTPRequestPart)
        case event(Any)
        case error(any Error)
        case inactive
    }

    let reads: DirectFileReads
    private var held: Held?
    /// Requests handed on whose answers have not ended yet.
    private var unansweredHandedOn = 0
    private var answeredSinceFlush = false
    /// The store's reader for this connection's event loop; nil for a shared store.
    private var store: (any ImmediateFileReads)?
    private var readingShared = false
    private var waiting: [Arrival] = []
    /// A read of the socket asked for while a shared read was under way, passed on after it.
    private var readDeferred = false
    private var removed = false

    init(reads: DirectFileReads) {
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        store = reads.readers?.reader(for: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !readingShared else { return waiting.append(.part(part)) }
        take(part, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !readingShared else { return waiting.append(.event(event)) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !readingShared else { return waiting.append(.error(error)) }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !readingShared else { return waiting.append(.inactive) }
        context.fireChannelInactive()
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            // Taken first, before any rule reads the controls (`controlsGeneration`); only a shared
            // store's reads check it, so an embedded one takes no lock for it.
            let generation = store == nil ? reads.controlsGeneration : 0
            // A full outbound buffer is left to the request loop, which waits for it to drain.
            if unansweredHandedOn == 0, context.channel.isWritable, let read = reads.read(of: head) {
                held = Held(head: head, read: read, controlsGeneration: generation)
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
            if let store {
                guard let (response, body) = reads.answer(held.head, held.read, from: store) else {
                    handOn(held.head, context: context)
                    return context.fireChannelRead(wrapInboundOut(part))
                }
                write(response, body, context: context)
            } else if let connection = reads.loopConnections?.ready(on: context.eventLoop) {
                readShared(held, end: part, through: connection, context: context)
            } else {
                // No connection of this loop's yet (or any more): the router reads through the pool.
                handOn(held.head, context: context)
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    /// Reads a shared store on this loop; the answer, or the request handed on, comes back here.
    private func readShared(_ held: Held, end: HTTPRequestPart, through connection: PostgresLoopConnection, context: ChannelHandlerContext) {
        readingShared = true
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        reads.answerOnLoop(held.head, held.read, controlsGeneration: held.controlsGeneration, through: connection)
            .whenComplete { result in
                let (handler, context) = bound.value
                handler.finishShared((try? result.get()) ?? nil, head: held.head, end: end, context: context)
            }
    }

    private func finishShared(_ answer: (HTTPResponse, ByteBuffer)?, head: HTTPRequest, end: HTTPRequestPart, context: ChannelHandlerContext) {
        readingShared = false
        guard !removed else { return }  // the connection closed meanwhile: nobody to answer
        // Parts passed on here are outside a read cycle: the request loop's handler delivers what
        // it was given at the cycle's end, so this ends one for them.
        let passesOn = answer == nil || !waiting.isEmpty
        if let (response, body) = answer {
            write(response, body, context: context)
        } else {
            handOn(head, context: context)
            context.fireChannelRead(wrapInboundOut(end))
        }
        // What came meanwhile, in order, until another shared read starts.
        while !readingShared, !waiting.isEmpty {
            switch waiting.removeFirst() {
            case .part(let part): take(part, context: context)
            case .event(let event): context.fireUserInboundEventTriggered(event)
            case .error(let error): context.fireErrorCaught(error)
            case .inactive: context.fireChannelInactive()
            }
        }
        if answeredSinceFlush {
            answeredSinceFlush = false
            context.flush()
        }
        if passesOn { context.fireChannelReadComplete() }
        if !readingShared, readDeferred {
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

    /// No more of the socket is read while a shared read is under way (the rest waits in the
    /// kernel's buffer, and the client's sends slow down).
    func read(context: ChannelHandlerContext) {
        if readingShared {
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
