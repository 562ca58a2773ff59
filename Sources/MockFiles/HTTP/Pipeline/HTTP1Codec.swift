import NIOCore
import NIOHTTP1

/// NIO's HTTP/1 encoder and decoder as mockfiles installs them, at start and again after an
/// `Upgrade` request (`HTTP1ConformanceHandler`).
enum HTTP1Codec {
    /// Hummingbird's limits: 80 KiB for a header (or the request line), 80 KiB in all, 1,000 headers.
    static let limits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1000
        return limits
    }()

    /// Adds the pair at `position`. NIO pairs them (the decoder tells the encoder each request's
    /// method, so that HEAD answers carry no body) only in `configureHTTPServerPipeline`, and
    /// makes the decoder hand on the bytes it has not parsed when it is removed only when upgrade
    /// support is asked for; the upgrade handler that comes with it is removed at once, since
    /// mockfiles performs no upgrade.
    static func add(to pipeline: ChannelPipeline.SynchronousOperations, position: ChannelPipeline.SynchronousOperations.Position) throws {
        try pipeline.configureHTTPServerPipeline(
            position: position,
            withPipeliningAssistance: false,
            withServerUpgrade: (upgraders: [], completionHandler: { _ in }),
            withErrorHandling: false,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: limits
        )
        pipeline.removeHandler(try pipeline.handler(type: HTTPServerUpgradeHandler.self), promise: nil)
    }

    /// After an upgrade request the decoder stops, waiting for a protocol switch that never comes.
    /// A fresh pair goes in behind it; removing the old decoder then hands the bytes it holds (a
    /// request sent right after the answer, or pipelined behind the upgrade) to the new one. Those
    /// reads arrive outside a read cycle, so `context` (the handler after the pair) ends one for
    /// them: Hummingbird's channel passes reads on only at the end of a cycle.
    static func replace(after context: ChannelHandlerContext, before handler: any ChannelHandler) throws {
        let pipeline = context.pipeline.syncOperations
        let oldDecoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let oldEncoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        try add(to: pipeline, position: .before(handler))
        pipeline.removeHandler(oldEncoder, promise: nil)
        let removed = context.eventLoop.makePromise(of: Void.self)
        pipeline.removeHandler(oldDecoder, promise: removed)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        removed.futureResult.whenSuccess { loopBound.value.fireChannelReadComplete() }
    }
}
