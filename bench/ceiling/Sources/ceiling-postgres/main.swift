import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PostgresNIO

/// `ceiling-postgres PORT DATABASE_URL FILE PAGE`: the floor under any Swift server that reads each
/// answer from PostgreSQL on this machine (bench rows 8 pg). SwiftNIO's HTTP/1 pipeline, as in
/// `ceiling-nio`, and for each request one prepared statement on a PostgreSQL connection of the
/// request's own event loop, so nothing leaves the loop's thread: no task, no pool, no request log,
/// no rules. `GET /v1/files/{id}` runs the file statement of mockfiles' shared store and answers FILE's
/// bytes; `GET /v1/files?…` runs its newest-first page of 20 and answers PAGE's. Each row's cells
/// are read; their contents are not checked (the bench checks mockfiles' answers).
let arguments = CommandLine.arguments
guard arguments.count == 5, let port = Int(arguments[1]), let url = URLComponents(string: arguments[2]),
    let host = url.host, let user = url.user,
    let file = FileManager.default.contents(atPath: arguments[3]), let page = FileManager.default.contents(atPath: arguments[4])
else {
    FileHandle.standardError.write(Data("usage: ceiling-postgres PORT DATABASE_URL FILE PAGE\n".utf8))
    exit(64)
}

// The texts of mockfiles' `FileByIDStatement` and of its newest-first page without `purpose` or
// `after` (whose unused parameters would leave PostgreSQL without their types here).
let generation = "(SELECT generation FROM mockfiles_controls WHERE id = 1)"
let columns = "seq, id, tenant, purpose, filename, bytes, created_at, expires_at, processed_at_ms, sha256, content_type"
let fileSQL = """
    SELECT \(generation), found.* FROM (SELECT 1) AS one
    LEFT JOIN (SELECT \(columns) FROM files WHERE id = $1 AND tenant = $2) AS found ON true
    """
let pageSQL = """
    SELECT \(generation), false, page.* FROM (SELECT 1) AS one
    LEFT JOIN (
        SELECT \(columns) FROM files f WHERE f.tenant = $1 AND (f.expires_at IS NULL OR f.expires_at > $2)
        ORDER BY f.created_at DESC, f.seq DESC LIMIT $3
    ) AS page ON true
    ORDER BY page.created_at DESC, page.seq DESC
    """

/// An event loop's connection and its two statements.
struct LoopDatabase: Sendable {
    let fileStatement: PreparedQuery
    let pageStatement: PreparedQuery
}

let logger = Logger(label: "ceiling-postgres")
let configuration = PostgresConnection.Configuration(
    host: host,
    port: url.port ?? 5432,
    username: user,
    password: url.password,
    database: String(url.path.dropFirst()),
    tls: .disable
)
var databases: [ObjectIdentifier: LoopDatabase] = [:]
var tenant = ""
for (number, loop) in MultiThreadedEventLoopGroup.singleton.makeIterator().enumerated() {
    let connection = try await PostgresConnection.connect(on: loop, configuration: configuration, id: number, logger: logger).get()
    if number == 0 {
        // The tenant the bench's files were made in.
        for try await name in try await connection.query("SELECT tenant FROM files LIMIT 1", logger: logger).decode(String.self) { tenant = name }
    }
    databases[ObjectIdentifier(loop)] = LoopDatabase(
        fileStatement: try await connection.prepare(query: fileSQL).get(),
        pageStatement: try await connection.prepare(query: pageSQL).get()
    )
}

final class ReadAndAnswer: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let database: LoopDatabase
    let tenant: String
    let file: ByteBuffer
    let page: ByteBuffer
    private var uri = ""

    init(database: LoopDatabase, tenant: String, file: ByteBuffer, page: ByteBuffer) {
        (self.database, self.tenant, self.file, self.page) = (database, tenant, file, page)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            let rows: EventLoopFuture<[PostgresRow]>
            let body: ByteBuffer
            if uri.hasPrefix("/v1/files?") {
                let now = Int64(Date().timeIntervalSince1970)
                rows = database.pageStatement.execute([PostgresData(string: tenant), PostgresData(int64: now), PostgresData(int64: 20)])
                body = page
            } else {
                rows = database.fileStatement.execute([PostgresData(string: String(uri.dropFirst("/v1/files/".count))), PostgresData(string: tenant)])
                body = file
            }
            let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            rows.whenComplete { result in
                let (handler, context) = loopBound.value
                handler.answer(result, body: body, context: context)
            }
        }
    }

    private func answer(_ result: Result<[PostgresRow], any Error>, body: ByteBuffer, context: ChannelHandlerContext) {
        var status = HTTPResponseStatus.ok
        var bytes = 0
        switch result {
        case .success(let rows):
            for row in rows {
                for cell in row { bytes += cell.bytes?.readableBytes ?? 0 }
            }
        case .failure:
            status = .internalServerError
        }
        let headers: HTTPHeaders = ["content-type": "application/json", "content-length": String(body.readableBytes), "x-row-bytes": String(bytes)]
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let (fileBytes, pageBytes) = (ByteBuffer(bytes: file), ByteBuffer(bytes: page))
let found = databases
let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { [tenant] channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(
                ReadAndAnswer(database: found[ObjectIdentifier(channel.eventLoop)]!, tenant: tenant, file: fileBytes, page: pageBytes)
            )
        }
    }
let server = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
try await server.closeFuture.get()
