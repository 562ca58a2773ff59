import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A `PostgresLoopConnection` for each event loop of the group the HTTP server runs on: one more
/// PostgreSQL connection per core for each instance, beside the pool. A service of the server's
/// group, so they are made when the server starts and closed after the HTTP server has drained.
final class PostgresLoopConnections: Service, Sendable {
    private let byLoop: [ObjectIdentifier: PostgresLoopConnection]

    init(
        _ location: PostgresLocation,
        group: MultiThreadedEventLoopGroup = .singleton,
        requestLogCapacity: Int,
        logger: Logger
    ) throws {
        let configuration = try location.connectionConfiguration()
        var byLoop: [ObjectIdentifier: PostgresLoopConnection] = [:]
        for (index, loop) in group.makeIterator().enumerated() {
            byLoop[ObjectIdentifier(loop)] = PostgresLoopConnection(
                eventLoop: loop,
                configuration: configuration,
                id: 1000 + index,  // apart from the pool's numbers in postgres-nio's logs
                requestLogCapacity: requestLogCapacity,
                logger: logger
            )
        }
        self.byLoop = byLoop
    }

    /// The connection of `loop`, the caller's, when it is ready for reads.
    func ready(on loop: any EventLoop) -> PostgresLoopConnection? {
        guard let connection = byLoop[ObjectIdentifier(loop)], connection.readyForReads() else { return nil }
        return connection
    }

    func run() async throws {
        for connection in byLoop.values { try? await connection.start().get() }
        // Returns at graceful shutdown, or throws when the group is cancelled: stop either way.
        try? await gracefulShutdown()
        for connection in byLoop.values { try? await connection.stop().get() }
    }
}
