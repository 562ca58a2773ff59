import NIOCore
import NIOHTTP1

/// What one connection's handlers share: how long the current request line is so far, and
/// whether a request head is awaited (`HeadDeadlineHandler`).
final class ConnectionFacts {
    /// Bytes of the current request's first line seen so far (all of it, once `lineEnded`).
    var requestLineBytes = 0
    var lineEnded = false
    /// Set while no byte of the awaited request head has been read: the next read is its first.
    var awaitingHeadBytes = false
    /// An answer made below the router went out and the connection is closing: the decoder's
    /// complaint about the unfinished head it holds (at the close) is not answered too.
    var closing = false

    func nextRequest() {
        requestLineBytes = 0
        lineEnded = false
    }
}

/// First in the pipeline, on raw bytes. It measures each request line, so that a head too large
/// can be told apart (the decoder reports an overlong request line and overlong headers alike,
/// but one is a 414 and the other a 431), it tells `HeadDeadlineHandler` of a head's first bytes
/// (before the decoder sees them), and it is where answers made below the decoder are written:
/// straight to the socket, past NIO's encoder, which would drop the body of an answer to `CONNECT`.
final class RawConnectionEdge: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let facts: ConnectionFacts

    init(facts: ConnectionFacts) {
        self.facts = facts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if facts.awaitingHeadBytes {
            facts.awaitingHeadBytes = false
            context.fireUserInboundEventTriggered(HeadDeadlineHandler.HeadBytesArrived())
        }
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

    private enum Mode {
        case serving
        /// The handler's answer to a request whose body could not be read is being dropped; ours
        /// (400) went out instead, and the connection closes at the end of theirs.
        case replacingAnswer
        /// A request answered here; its remaining parts are dropped and the connection closes.
        case refused
    }

    private struct Exchange {
        var closeAfterAnswer: Bool
        var upgradeRequested: Bool
        /// The decoder failed in the body: unless the handler read it (and answered the error
        /// itself), the answer is a 400 and the connection ends (RFC 9112 §6.3).
        var bodyBroken = false
    }

    private var mode = Mode.serving
    /// Requests handed on and not yet answered, oldest first: the next request's head may arrive
    /// while the answer to the one before is still being written (after a streamed body, or pipelined).
    private var exchanges = CircularBuffer<Exchange>()
    private let facts: ConnectionFacts
    private let defaultScope: DefaultScope

    init(facts: ConnectionFacts, defaultScope: DefaultScope) {
        self.facts = facts
        self.defaultScope = defaultScope
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .refused = mode { return }
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
        if Self.hasSeveralHosts(head.headers) {
            return refuse(context, status: .badRequest, message: "A request has one Host header (RFC 9112, section 3.2).")
        }
        // RFC 9112 §3.2.2: with an absolute-form target, its host is the one that counts, not Host.
        if let (authority, originForm) = Self.splitAbsoluteForm(head.uri) {
            head.headers.replaceOrAdd(name: "host", value: authority)
            head.uri = originForm
        }
        let closeAfterAnswer = !head.isKeepAlive
        if closeAfterAnswer { head.headers.replaceOrAdd(name: "connection", value: "close") }
        head.uri = PercentDecoding.decodingUnreserved(inPathOf: head.uri)
        exchanges.append(Exchange(closeAfterAnswer: closeAfterAnswer, upgradeRequested: Self.asksForUpgrade(head)))
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        guard case .serving = mode, let exchange = exchanges.first else {
            // No request waits for an answer: this is Hummingbird's empty 400 after a parser error
            // in the unread rest of a request whose answer is out already, and a second answer to
            // one request would confuse the client. Or it is the answer being replaced. Either way
            // the connection ends.
            promise?.succeed()
            if case .end = part { context.close(promise: nil) }
            return
        }
        forward(part, of: exchange, context: context, promise: promise)
    }

    private func forward(_ part: HTTPServerResponsePart, of exchange: Exchange, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(let head) where exchange.bodyBroken && (200..<400).contains(head.status.code):
            promise?.succeed()
            mode = .replacingAnswer
            writeRaw(context, status: .badRequest, message: "The request body is not valid HTTP/1.1 framing.", thenClose: false)
        case .head(var head) where head.status.code >= 200 && exchange.closeAfterAnswer:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(wrapOutboundOut(part), promise: promise)
            exchanges.removeFirst()
            facts.nextRequest()
            if exchange.upgradeRequested {
                do {
                    try HTTP1Codec.replace(after: context, before: self)
                } catch {
                    context.close(promise: nil)
                }
            }
        default:
            context.write(wrapOutboundOut(part), promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if facts.closing { return }
        // Mid-request errors belong to the request's handler (a body cut short must fail its
        // upload); the answer is checked on its way out.
        if error is HTTPParserError, !exchanges.isEmpty {
            exchanges[exchanges.index(before: exchanges.endIndex)].bodyBroken = true
        }
        guard exchanges.isEmpty, let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch parserError {
        case .headerOverflow where facts.requestLineBytes > HTTP1Codec.limits.maxHeaderFieldSize:
            refuse(context, status: .uriTooLong, message: "The request URL is too long.")
        case .headerOverflow:
            refuse(context, status: .requestHeaderFieldsTooLarge, message: "The request's headers are too large.")
        case .invalidMethod:
            refuse(context, status: .methodNotAllowed, message: "Method not allowed.")
        default:
            refuse(context, status: .badRequest, message: "The request is not valid HTTP/1.1.")
        }
    }

    /// Answers with the envelope and closes: the request's remaining bytes cannot be trusted.
    private func refuse(_ context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        mode = .refused
        writeRaw(context, status: status, message: message, thenClose: true)
    }

    /// The envelope as raw bytes, past NIO's encoder (`RawConnectionEdge`).
    private func writeRaw(_ context: ChannelHandlerContext, status: HTTPResponseStatus, message: String, thenClose: Bool) {
        let answer = BareErrorAnswer.make(status: status, message: message, scope: defaultScope)
        guard let edge = try? context.pipeline.syncOperations.context(handlerType: RawConnectionEdge.self) else {
            context.close(promise: nil)
            return
        }
        let written = edge.writeAndFlush(NIOAny(answer))
        guard thenClose else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    /// More than one Host, counting the comma-separated values of each as NIO's `canonicalForm`
    /// does; split only when a second header or a comma makes it possible (every request asks).
    static func hasSeveralHosts(_ headers: HTTPHeaders) -> Bool {
        let hosts = headers["host"]
        guard hosts.count > 1 || hosts.contains(where: { $0.utf8.contains(UInt8(ascii: ",")) }) else { return false }
        return headers[canonicalForm: "host"].count > 1
    }

    /// `http://host:port/path?q` as (`host:port`, `/path?q`); nil for an origin-form target.
    static func splitAbsoluteForm(_ uri: String) -> (authority: String, originForm: String)? {
        if uri.utf8.first == UInt8(ascii: "/") { return nil }  // origin form, nearly every request
        let lowered = uri.lowercased()
        guard let scheme = ["http://", "https://"].first(where: lowered.hasPrefix) else { return nil }
        let rest = uri.dropFirst(scheme.count)
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let path = rest[pathStart...]
        return (String(rest[..<pathStart]), path.hasPrefix("/") ? String(path) : "/" + path)
    }

    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "upgrade")
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
