import NIOCore
import NIOHTTP1

/// What one connection's handlers share: how long the current request line is so far.
final class ConnectionFacts {
    /// Bytes of the current request's first line seen so far (all of it, once `lineEnded`).
    var requestLineBytes = 0
    var lineEnded = false

    func nextRequest() {
        requestLineBytes = 0
        lineEnded = false
    }
}

/// First in the pipeline, on raw bytes. It measures each request line, so that a head too large
/// can be told apart (the decoder reports an overlong request line and overlong headers alike,
/// but one is a 414 and the other a 431), and it is where answers made below the decoder are
/// written: straight to the socket, past NIO's encoder, which would drop the body of an answer to
/// `CONNECT`.
final class RawConnectionEdge: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let facts: ConnectionFacts

    init(facts: ConnectionFacts) {
        self.facts = facts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !facts.lineEnded {
            let view = unwrapInboundIn(data).readableBytesView
            if let newline = view.firstIndex(of: UInt8(ascii: "\n")) {
                facts.requestLineBytes += view.distance(from: view.startIndex, to: newline)
                facts.lineEnded = true
            } else {
                facts.requestLineBytes += view.count
            }
        }
        context.fireChannelRead(data)
    }
}

/// The HTTP/1.1 rules Hummingbird leaves to the server, applied to each request before
/// Hummingbird sees it and to each answer on its way out:
/// - an HTTP/1.0 request without keep-alive (or any `Connection: close`) gets `Connection: close`
///   and the connection ends after the answer;
/// - an HTTP/1.1 request without `Host` is a 400 (RFC 9112 §3.2), `CONNECT` a 405;
/// - `Upgrade` requests are answered as plain requests and the connection goes on (the decoder
///   stops at an upgrade, waiting for a protocol switch that never comes: it is replaced);
/// - path bytes that are percent-encoded unreserved characters are decoded (`file%2Dabc`);
/// - a request the decoder cannot read gets the OpenAI error envelope (431, 414, 400) instead of
///   Hummingbird's empty 400.
final class HTTP1ConformanceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// A request handed on; until its answer ends.
        case forwarding(closeAfterAnswer: Bool, upgradeRequested: Bool)
        /// A request answered here; its remaining parts are dropped and the connection closes.
        case refused
    }

    private var state = State.idle
    private let facts: ConnectionFacts
    private let defaultOrganization: String

    init(facts: ConnectionFacts, defaultOrganization: String) {
        self.facts = facts
        self.defaultOrganization = defaultOrganization
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .refused = state { return }
        guard case .head(var head) = part else {
            context.fireChannelRead(data)
            return
        }
        if head.method == .CONNECT {
            return refuse(context, status: .methodNotAllowed, message: "Method not allowed: CONNECT.")
        }
        if head.version.major == 1, head.version.minor >= 1, !head.headers.contains(name: "host") {
            return refuse(context, status: .badRequest, message: "HTTP/1.1 requests need a Host header (RFC 9112, section 3.2).")
        }
        let closeAfterAnswer = !head.isKeepAlive
        if closeAfterAnswer { head.headers.replaceOrAdd(name: "connection", value: "close") }
        head.uri = PercentDecoding.decodingUnreserved(inPathOf: head.uri)
        state = .forwarding(closeAfterAnswer: closeAfterAnswer, upgradeRequested: Self.asksForUpgrade(head))
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where (200...).contains(head.status.code):
            if case .forwarding(closeAfterAnswer: true, _) = state {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            context.write(data, promise: promise)
            if case .forwarding(_, upgradeRequested: true) = state { replaceDecoder(context) }
            if case .forwarding = state { state = .idle }
            facts.nextRequest()
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Mid-request errors (a body cut short) belong to the request's handler.
        guard case .idle = state, let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch parserError {
        case .headerOverflow where facts.requestLineBytes > MockFilesHTTP1Channel.decoderLimits.maxHeaderFieldSize:
            refuse(context, status: .uriTooLong, message: "The request URL is too long.")
        case .headerOverflow:
            refuse(context, status: .requestHeaderFieldsTooLarge, message: "The request's headers are too large.")
        case .invalidMethod:
            refuse(context, status: .methodNotAllowed, message: "Method not allowed.")
        default:
            refuse(context, status: .badRequest, message: "The request is not valid HTTP/1.1 (\(parserError)).")
        }
    }

    /// Answers with the envelope and closes: the request's remaining bytes cannot be trusted.
    private func refuse(_ context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        state = .refused
        let answer = BareErrorAnswer.make(status: status, message: message, organization: defaultOrganization)
        guard let edge = try? context.pipeline.syncOperations.context(handlerType: RawConnectionEdge.self) else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        edge.writeAndFlush(NIOAny(answer)).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    /// After an upgrade request the decoder waits for the protocol switch; a fresh one reads the
    /// next request. NIO pairs the decoder with its encoder (which learns each request's method, so
    /// that HEAD answers carry no body), so both are replaced. The answer is written by now.
    private func replaceDecoder(_ context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            pipeline.removeHandler(decoder, promise: nil)
            pipeline.removeHandler(encoder, promise: nil)
            try pipeline.configureHTTPServerPipeline(
                position: .before(self),
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: MockFilesHTTP1Channel.decoderLimits
            )
        } catch {
            context.close(promise: nil)
        }
    }

    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "upgrade")
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
