import Logging
import NIOCore
import PostgresNIO

/// One event loop's own PostgreSQL connection, with the statements of the reads that loop answers
/// itself (`DirectFileReads`, shared store) prepared on it. Everything here runs on that loop and
/// returns futures: no task, no executor hop and no pool between a request and its statement,
/// which were most of a shared `GET`'s CPU (bench/README.md, "2026-12-06: the floor").
///
/// It connects when the server starts (`start`). While it is not connected (until then, or after
/// PostgreSQL closed it) the reads go to the router, which uses the pool, and the next read on the
/// loop connects again (`readyForReads`): 0.1 s after a failed attempt at the soonest, then twice
/// as long after each failure, up to 5 s.
///
/// `@unchecked Sendable`: the mutable state is touched on `eventLoop` only.
final class PostgresLoopConnection: @unchecked Sendable {
    /// What a connection has prepared; nil while there is none.
    private struct Statements {
        let connection: PostgresConnection
        let file: PreparedQuery
        let pages: [PageShape: PreparedQuery]
        let appendRequests: PreparedQuery
    }

    /// A page statement's shape (`FilePageStatements.make`).
    private struct PageShape: Hashable {
        var order: FileListQuery.Order
        var byPurpose: Bool
        var afterFile: Bool

        static let all = [FileListQuery.Order.asc, .desc].flatMap { order in
            [false, true].flatMap { byPurpose in [false, true].map { PageShape(order: order, byPurpose: byPurpose, afterFile: $0) } }
        }
    }

    /// The statement was on a connection that is gone.
    struct NotConnected: Error {}

    static let firstRetryDelay = TimeAmount.milliseconds(100)
    static let longestRetryDelay = TimeAmount.seconds(5)

    let eventLoop: any EventLoop
    private let configuration: PostgresConnection.Configuration
    private let id: Int
    private let requestLogCapacity: Int
    private let logger: Logger

    private var statements: Statements?
    /// Between `start` and `stop`: connections may be made.
    private var running = false
    private var connecting = false
    private var nextAttempt = NIODeadline.uptimeNanoseconds(0)
    private var retryDelay = firstRetryDelay
    /// Request-log entries waiting for the write under way to end (`appendRequest`).
    private var entries: [(text: String, written: EventLoopPromise<Void>)] = []
    private var writingEntries = false

    init(eventLoop: any EventLoop, configuration: PostgresConnection.Configuration, id: Int, requestLogCapacity: Int, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.id = id
        self.requestLogCapacity = requestLogCapacity
        self.logger = logger
    }

    /// Whether reads can be sent now; when not, connects if it is time to try. On the loop only.
    func readyForReads() -> Bool {
        eventLoop.assertInEventLoop()
        if statements == nil, running, !connecting, NIODeadline.now() >= nextAttempt { connect() }
        return statements != nil
    }

    // MARK: Connecting

    /// Connects, and lets reads connect again, until `stop`.
    func start() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.running = true
            if self.statements == nil, !self.connecting { self.connect() }
        }
    }

    /// Closes the connection; no other is made after.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.running = false
            guard let connection = self.statements?.connection else { return self.eventLoop.makeSucceededVoidFuture() }
            self.statements = nil
            return connection.close().recover { _ in }
        }
    }

    private func connect() {
        connecting = true
        PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger)
            .flatMap { connection in
                self.prepare(on: connection).flatMapError { error in
                    connection.close().flatMapThrowing { throw error }
                }
            }
            .whenComplete { result in
                self.connecting = false
                switch result {
                case .success(let statements):
                    self.connected(statements)
                case .failure(let error):
                    self.logger.debug(
                        "event loop's database connection failed",
                        metadata: ["error": "\(PostgresLocation.describe(error))", "retry_ms": "\(self.retryDelay.nanoseconds / 1_000_000)"]
                    )
                    self.nextAttempt = .now() + self.retryDelay
                    self.retryDelay = min(self.retryDelay * 2, Self.longestRetryDelay)
                }
            }
    }

    private func prepare(on connection: PostgresConnection) -> EventLoopFuture<Statements> {
        let shapes = PageShape.all
        let pages = shapes.map { shape in
            connection.prepare(query: FilePageStatements.make(shape.order, byPurpose: shape.byPurpose, afterFile: shape.afterFile).sql)
        }
        return connection.prepare(query: FileByIDStatement.sql)
            .and(EventLoopFuture.whenAllSucceed(pages, on: eventLoop))
            .and(connection.prepare(query: AppendRequestsStatement.sql))
            .map { fileAndPages, appendRequests in
                Statements(
                    connection: connection,
                    file: fileAndPages.0,
                    pages: Dictionary(uniqueKeysWithValues: zip(shapes, fileAndPages.1)),
                    appendRequests: appendRequests
                )
            }
    }

    private func connected(_ statements: Statements) {
        guard running else {
            statements.connection.close().whenComplete { _ in }
            return
        }
        self.statements = statements
        retryDelay = Self.firstRetryDelay
        statements.connection.closeFuture.whenComplete { _ in
            self.eventLoop.execute { self.lost(statements.connection) }
        }
    }

    /// The next read connects again.
    private func lost(_ connection: PostgresConnection) {
        guard statements?.connection === connection else { return }
        statements = nil
        logger.debug("event loop's database connection closed; its reads go through the pool until it is back")
    }

    // MARK: Reads

    /// The controls' generation and the file, if there is one; a failed future when not connected.
    func file(id: String, tenant: String) -> EventLoopFuture<(generation: Int64?, file: StoredFile?)> {
        eventLoop.assertInEventLoop()
        guard let statements else { return eventLoop.makeFailedFuture(NotConnected()) }
        return statements.file.execute([PostgresData(string: id), PostgresData(string: tenant)]).flatMapThrowing { rows in
            guard let row = rows.first else { return (nil, nil) }
            var cells = PostgresCellReader(row, binary: true)
            return (try cells.next(), try PostgresMetadataStore.fileIfAny(&cells))
        }
    }

    /// The controls' generation and the rows of `query` (no cursor, no filename filter), after the
    /// file `afterFileID` when given: nil rows when the tenant never had that file.
    func page(_ query: FileListQuery, afterFileID: String?) -> EventLoopFuture<(generation: Int64?, files: [StoredFile]?)> {
        eventLoop.assertInEventLoop()
        precondition(query.after == nil && query.filenameContains == nil, "a page by keyset or filter is the router's")
        let shape = PageShape(order: query.order, byPurpose: query.purpose != nil, afterFile: afterFileID != nil)
        guard let statement = statements?.pages[shape] else { return eventLoop.makeFailedFuture(NotConnected()) }
        let binds = [
            PostgresData(string: query.tenant),
            PostgresData(int64: query.now),
            PostgresData(int64: Int64(query.limit)),
            query.purpose.map { PostgresData(string: $0) } ?? PostgresData(type: .text, value: nil),
            afterFileID.map { PostgresData(string: $0) } ?? PostgresData(type: .text, value: nil),
        ]
        return statement.execute(binds).flatMapThrowing { rows in
            var (generation, afterFileFound, files): (Int64?, Bool, [StoredFile]) = (nil, false, [])
            for row in rows {
                var cells = PostgresCellReader(row, binary: true)
                generation = try cells.next()
                afterFileFound = try cells.next()
                if let file = try PostgresMetadataStore.fileIfAny(&cells) { files.append(file) }
            }
            return (generation, afterFileID != nil && !afterFileFound ? nil : files)
        }
    }

    // MARK: The request log

    /// Adds an entry to the shared log by group commit on this loop, as `SharedRequestLogWriter`
    /// does for the router: written at once when no write is under way, else with the others
    /// that came meanwhile in the next statement. Succeeds once the entry's statement committed
    /// (asynchronously: `appendRequests`), so an answer given after is in every instance's log.
    func appendRequest(_ text: String) -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        let written = eventLoop.makePromise(of: Void.self)
        entries.append((text, written))
        if !writingEntries { writeEntries() }
        return written.futureResult
    }

    private func writeEntries() {
        let batch = entries
        entries = []
        writingEntries = !batch.isEmpty
        guard !batch.isEmpty else { return }
        guard let statements else {
            for entry in batch { entry.written.fail(NotConnected()) }
            writingEntries = false
            return
        }
        let texts = PostgresData(array: batch.map { PostgresData(string: $0.text) }, elementType: .text)
        statements.appendRequests.execute([texts])
            .flatMapThrowing { rows in
                try rows.reduce(Int64(0)) { newest, row in
                    var cells = PostgresCellReader(row, binary: true)
                    return max(newest, try cells.next(Int64.self))
                }
            }
            .whenComplete { result in
                switch result {
                case .success(let newest):
                    for entry in batch { entry.written.succeed() }
                    self.trimRequests(newest: newest, added: batch.count, on: statements.connection)
                case .failure(let error):
                    for entry in batch { entry.written.fail(error) }
                }
                self.writeEntries()
            }
    }

    /// Keeps the log near its capacity, as the router's writes do (`appendRequests`); nothing
    /// waits for it.
    private func trimRequests(newest: Int64, added: Int, on connection: PostgresConnection) {
        guard let trim = PostgresMetadataStore.trimRequests(newest: newest, added: added, capacity: requestLogCapacity) else { return }
        connection.query(trim, logger: logger).whenFailure { error in
            self.logger.warning("request log trim failed", metadata: ["error": "\(PostgresLocation.describe(error))"])
        }
    }
}
