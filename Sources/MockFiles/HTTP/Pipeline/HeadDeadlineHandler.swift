import NIOCore
import NIOHTTP1

/// Holds each connection to the bounds on slow clients (docs/security.md):
///
/// - A request head must be complete within `timeout`: counted from accept for a connection's
///   first request, and for later ones from the head's first byte (or from the end of the
///   previous answer, if its bytes came earlier: a pipelined head waits its turn). Bytes trickling
///   in do not extend it. Past it, a client that sent part of a head gets 408 with the envelope,
///   one that sent nothing is closed without an answer. A request whose head is complete is not
///   affected (a large body takes as long as it needs; the idle timeout covers a stalled one),
///   nor is a keep-alive connection silent between requests (the idle timeout's).
/// - Its place in the `ConnectionGate`: while it waits for a head it may be closed to make room
///   for a newcomer (with a 408 if part of a head came); admitted over the caps, it is answered
///   for `GET /health` only, and other requests get 503 and the connection closes.
///
/// The head's first byte is seen by `RawConnectionEdge` (`HeadBytesArrived`, sent while
/// `ConnectionFacts.awaitingHeadBytes`); complete heads and answers pass through here. Bytes of
/// the next head that arrive in one read with the end of a body start its deadline only at the
/// next read (the decoder holds them): a client that stalls there is the idle timeout's.
final class HeadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The first bytes read while a request head is awaited.
    struct HeadBytesArrived {}

    private let timeout: TimeAmount
    private let facts: ConnectionFacts
    private let gate: ConnectionGate
    private let address: String
    private let scope: DefaultScope

    private var admission: ConnectionGate.Admission?
    /// A head arrived and the end of its request has not.
    private var readingRequest = false
    /// Requests whose answer has not ended.
    private var unanswered = 0
    /// Bytes of the awaited head have been read.
    private var headBytesSeen = false
    private var reportedWaiting = true
    private var deadline: Scheduled<Void>?
    private var refused = false

    init(timeout: TimeAmount, facts: ConnectionFacts, gate: ConnectionGate, address: String, scope: DefaultScope) {
        self.timeout = timeout
        self.facts = facts
        self.gate = gate
        self.address = address
        self.scope = scope
    }

    /// The key `maxConnectionsPerAddress` counts by: the peer's IP address.
    static func addressKey(of channel: any Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "local"
    }

    // MARK: Lifetime

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard admission == nil else { return }
        facts.awaitingHeadBytes = true
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        admission = gate.admit(address: address) {
            eventLoop.execute { loopBound.value.handler.makeRoom(loopBound.value.context) }
        }
        scheduleDeadline(context)
    }

    private func stop() {
        deadline?.cancel()
        deadline = nil
        if let admission { gate.leave(admission.id) }
    }

    // MARK: Requests in, answers out

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is HeadBytesArrived else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        headBytesSeen = true
        if unanswered == 0 { scheduleDeadline(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            deadline?.cancel()
            deadline = nil
            headBytesSeen = false
            facts.awaitingHeadBytes = false
            readingRequest = true
            unanswered += 1
            reportWaiting()
            if admission?.overCap == true, !Self.asksForHealth(head) {
                refused = true
                facts.closing = true
                let message = "The server is at its connection limit and answers only GET /health on this connection; retry later."
                return Self.answerAndClose(context, status: .serviceUnavailable, message: message, type: "server_error", scope: scope)
            }
        case .body:
            break
        case .end:
            readingRequest = false
            facts.awaitingHeadBytes = true
            reportWaiting()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), unanswered > 0 {
            unanswered -= 1
            if unanswered == 0, !readingRequest {
                if headBytesSeen { scheduleDeadline(context) }
                reportWaiting()
            }
        }
        context.write(data, promise: promise)
    }

    // MARK: Deadline and room

    private var waitsForHead: Bool { !readingRequest && unanswered == 0 }

    private func reportWaiting() {
        guard let admission, waitsForHead != reportedWaiting else { return }
        reportedWaiting = waitsForHead
        gate.setWaiting(admission.id, reportedWaiting)
    }

    private func scheduleDeadline(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.handler.deadlinePassed(loopBound.value.context)
        }
    }

    private func deadlinePassed(_ context: ChannelHandlerContext) {
        deadline = nil
        guard waitsForHead, !refused else { return }
        giveUp(context)
    }

    /// Closed by the gate for a newcomer (it was waiting for a head when that was decided).
    private func makeRoom(_ context: ChannelHandlerContext) {
        guard context.channel.isActive, !refused else { return }
        giveUp(context)
    }

    /// A 408 when part of a head came (the client may be waiting for an answer), else a quiet close.
    private func giveUp(_ context: ChannelHandlerContext) {
        refused = true
        deadline?.cancel()
        deadline = nil
        guard headBytesSeen else {
            context.close(promise: nil)
            return
        }
        facts.closing = true
        let message = "The request head did not arrive in time."
        Self.answerAndClose(context, status: .requestTimeout, message: message, type: "invalid_request_error", scope: scope)
    }

    static func asksForHealth(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET || head.method == .HEAD else { return false }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path == "/health"
    }

    /// The envelope as raw bytes through `RawConnectionEdge` (as `HTTP1ConformanceHandler`'s
    /// refusals), then the connection closes.
    static func answerAndClose(
        _ context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        message: String,
        type: String,
        scope: DefaultScope
    ) {
        let answer = BareErrorAnswer.make(status: status, message: message, scope: scope, type: type)
        guard let edge = try? context.pipeline.syncOperations.context(handlerType: RawConnectionEdge.self) else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        edge.writeAndFlush(NIOAny(answer)).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
