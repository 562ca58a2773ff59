import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with the handlers that hold mockfiles to HTTP/1.1 where
/// Hummingbird leaves it to the server (`HTTP1ConformanceHandler`, `ExpectContinueHandler`) and
/// bound slow clients (`HeadDeadlineHandler`, with the `ConnectionGate` all connections share).
/// The pipeline, head to tail:
///
///     RawConnectionEdge · encoder · decoder · HTTP1ConformanceHandler · HeadDeadlineHandler
///       · HTTP1ToHTTPServerCodec · ExpectContinueHandler · HTTPConnectionStateHandler
///       · DirectReadHandler · Hummingbird's request loop
///
/// `DirectReadHandler` is there when the store is embedded, or shared with shared controls (`DirectFileReads`).
struct MockFilesHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// How long a connection may take over what (`ServerSettings`), and the connection caps.
    struct Bounds: Sendable {
        var idleTimeout: TimeAmount
        var headTimeout: TimeAmount
        var gate: ConnectionGate
    }

    let responder: HTTPChannelHandler.Responder
    let bounds: Bounds
    let defaultScope: DefaultScope
    let directReads: DirectFileReads?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try Self.addHandlers(to: channel, bounds: bounds, defaultScope: defaultScope, directReads: directReads, logger: logger)
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// Everything in front of Hummingbird's request loop (tests build the same pipeline).
    static func addHandlers(
        to channel: any Channel,
        bounds: Bounds,
        defaultScope: DefaultScope,
        directReads: DirectFileReads?,
        logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        try HTTP1Codec.add(to: pipeline, position: .last)
        let facts = ConnectionFacts()
        try pipeline.addHandler(RawConnectionEdge(facts: facts), position: .first)
        try pipeline.addHandler(HTTP1ConformanceHandler(facts: facts, defaultScope: defaultScope))
        try pipeline.addHandler(
            HeadDeadlineHandler(
                timeout: bounds.headTimeout,
                facts: facts,
                gate: bounds.gate,
                address: HeadDeadlineHandler.addressKey(of: channel),
                scope: defaultScope
            )
        )
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(ExpectContinueHandler())
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: .nanoseconds(bounds.idleTimeout.nanoseconds), logger: logger))
        if let directReads { try pipeline.addHandler(DirectReadHandler(reads: directReads)) }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as mockfiles serves it (`MockFilesHTTP1Channel`).
    static func mockFilesHTTP1(
        bounds: MockFilesHTTP1Channel.Bounds,
        defaultScope: DefaultScope,
        directReads: DirectFileReads?
    ) -> HTTPServerBuilder {
        .init { responder in
            MockFilesHTTP1Channel(
                responder: responder,
                bounds: bounds,
                defaultScope: defaultScope,
                directReads: directReads
            )
        }
    }
}
