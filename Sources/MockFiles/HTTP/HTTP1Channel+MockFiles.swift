import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with the handlers that hold mockfiles to HTTP/1.1 where
/// Hummingbird leaves it to the server (`HTTP1ConformanceHandler`, `ExpectContinueHandler`).
/// The pipeline, head to tail:
///
///     RawConnectionEdge · encoder · decoder · HTTP1ConformanceHandler · HTTP1ToHTTPServerCodec
///       · ExpectContinueHandler · HTTPConnectionStateHandler · Hummingbird's request loop
struct MockFilesHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: TimeAmount
    let defaultOrganization: String

    /// Hummingbird's limits: 80 KiB for a header (or the request line), 80 KiB in all, 1,000 headers.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1000
        return limits
    }()

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: Self.decoderLimits
            )
            let facts = ConnectionFacts()
            try pipeline.addHandler(RawConnectionEdge(facts: facts), position: .first)
            try pipeline.addHandler(HTTP1ConformanceHandler(facts: facts, defaultOrganization: defaultOrganization))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(ExpectContinueHandler())
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: .nanoseconds(idleTimeout.nanoseconds), logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as mockfiles serves it (`MockFilesHTTP1Channel`).
    static func mockFilesHTTP1(idleTimeout: TimeAmount, defaultOrganization: String) -> HTTPServerBuilder {
        .init { responder in
            MockFilesHTTP1Channel(responder: responder, idleTimeout: idleTimeout, defaultOrganization: defaultOrganization)
        }
    }
}
