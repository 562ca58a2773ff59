import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ceiling-nio PORT FILE`: SwiftNIO alone, the floor under every Swift HTTP server here: NIO's
/// HTTP/1 pipeline (`configureHTTPServerPipeline`) and one handler answering every request with
/// FILE's bytes as application/json, on the same event loops Hummingbird uses. No async/await, no
/// router, no middleware.
let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[1]), let body = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: ceiling-nio PORT FILE\n".utf8))
    exit(64)
}

final class FixedAnswer: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let body: ByteBuffer
    let headers: HTTPHeaders
    private var keepAlive = true

    init(body: ByteBuffer) {
        self.body = body
        headers = ["content-type": "application/json", "content-length": String(body.readableBytes)]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

let bytes = ByteBuffer(bytes: body)
let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(FixedAnswer(body: bytes))
        }
    }
let server = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
try await server.closeFuture.get()
