import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOPosix
import PostgresNIO
import Testing

@testable import MockFiles

/// The direct reads of a shared store (`DirectFileReads.answerOnLoop`, through an event loop's own
/// connection): the router's answer, its log entry in the shared log before the answer is given,
/// the router's answer instead whenever another instance changed the controls since this one last
/// read them, and the router's too while the loop's connection is lost, until it is back.
/// The order of pipelined answers is tests/acceptance/test_direct_reads.py's, in the shared pass.
extension SharedControlsTests {
    @Test func aSharedDirectReadAnswersAsTheRouterAndIsInTheLogOfEveryInstance() async throws {
        try await withTwoServers { a, _, clientA, clientB in
            let created = try await clientB.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let id = try #require(created["id"] as? String)
            _ = try await clientB.createFile(.createFile(purpose: "assistants", filename: "e.txt", contents: Array("other".utf8)))
            let reads = try #require(DirectFileReads(a))
            #expect(reads.readers == nil && reads.loopConnections != nil, "a shared store is read through the loops' connections")
            // A has not read the controls yet: its first request is the router's.
            #expect(try await clientA.getJSON("/v1/files").0 == .ok)
            let paths = [
                "/v1/files/\(id)", "/v1/files?limit=2", "/v1/files?limit=1&order=asc", "/v1/files?purpose=assistants&limit=5",
                "/v1/files?limit=1&after=\(id)", "/v1/files?order=asc&purpose=user_data&limit=10&after=\(id)",
            ]
            for path in paths {
                let (response, body) = try #require(try await Self.answerOnLoop(reads, path), "\(path)")
                // Answered on A: B's log has it at once, before anything else is asked of A.
                let (_, logged) = try await clientB.getJSON("/admin/requests?limit=1")
                let entry = try #require((logged["data"] as? [[String: Any]])?.first)
                #expect(entry["instance"] as? String == "a" && entry["path"] as? String == path.split(separator: "?").first.map(String.init))
                #expect(entry["status"] as? Int == 200 && entry["bytes_out"] as? Int == body.readableBytes)
                let (routedStatus, routedBody) = try await clientA.execute(uri: path, method: .get, headers: DirectReadsTests.auth) {
                    ($0.status, $0.body)
                }
                #expect(response.status == routedStatus && body == routedBody, "\(path)")
                #expect(response.headerFields[.contentType] == "application/json" && response.headerFields[.xRequestID] != nil)
            }
            // What is not a plain 200 is the router's: a file of no one, a page after one, a bad limit.
            for path in ["/v1/files/file-missing", "/v1/files?after=file-missing", "/v1/files?limit=101"] {
                #expect(try await Self.answerOnLoop(reads, path) == nil, "\(path)")
            }
        }
    }

    @Test func aSharedDirectReadLeavesToTheRouterWhatAnotherInstanceChanged() async throws {
        try await withTwoServers { a, _, clientA, clientB in
            let created = try await clientA.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let path = "/v1/files/\(try #require(created["id"] as? String))"
            let reads = try #require(DirectFileReads(a))
            #expect(try await Self.answerOnLoop(reads, path) != nil)

            // A rule for another path, set through B: A's copy is behind, so its direct read
            // is refused (the router synchronizes and answers), with nothing logged.
            _ = try await clientB.postJSON("/admin/faults", ["path": "/v1/elsewhere", "status": 500])
            let (_, before) = try await clientB.getJSON("/admin/requests")
            #expect(try await Self.answerOnLoop(reads, path) == nil)
            let (_, after) = try await clientB.getJSON("/admin/requests")
            let logged = ((before["data"] as? [Any])?.count ?? 0, (after["data"] as? [Any])?.count ?? 0)
            #expect(logged.1 == logged.0, "nothing was answered, so nothing is logged")
            // Once A's router has caught up, the rule in force sends every request to it.
            #expect(try await clientA.getJSON(path).0 == .ok)
            #expect(reads.read(of: DirectReadsTests.head(path)) == nil)

            // The clock moved through B: refused again, until A has read it.
            _ = try await clientB.execute(uri: "/admin/faults", method: .delete, headers: DirectReadsTests.auth) { _ in }
            #expect(try await clientA.getJSON(path).0 == .ok)
            #expect(try await Self.answerOnLoop(reads, path) != nil)
            _ = try await clientB.postJSON("/admin/clock", ["advance_seconds": 60])
            #expect(try await Self.answerOnLoop(reads, path) == nil)
            #expect(try await clientA.getJSON(path).0 == .ok)
            #expect(try await Self.answerOnLoop(reads, path) != nil)
        }
    }

    /// PostgreSQL ends every session of the database (a restart, an administrator): the loops'
    /// connections are not ready until they are back, a statement sent on one that died gives nil
    /// (the router answers), and the reads are direct again within the retry delays.
    @Test func aLostLoopConnectionSendsReadsToTheRouterUntilItIsBack() async throws {
        try await withTwoServers { a, _, clientA, _ in
            let created = try await clientA.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let path = "/v1/files/\(try #require(created["id"] as? String))"
            let reads = try #require(DirectFileReads(a))
            #expect(try await clientA.getJSON(path).0 == .ok)
            #expect(try await Self.answerOnLoop(reads, path) != nil)

            let loop = Self.readingLoop
            let connection = try #require(try await loop.submit { reads.loopConnections?.ready(on: loop) }.get())
            try await Self.endEverySession(of: try #require(a.settings.storage.database))
            // Whether the loop has seen its connection close yet or not, no answer is made from it.
            let head = DirectReadsTests.head(path)
            let read = try #require(reads.read(of: head))
            let onDeadConnection = try await loop.flatSubmit {
                reads.answerOnLoop(head, read, controlsGeneration: reads.controlsGeneration, through: connection)
            }.get()
            #expect(onDeadConnection == nil)
            // The router's pool and the loop's connection both come back.
            let routed = try await Self.soon { try await clientA.getJSON(path).0 == .ok ? true : nil }
            #expect(routed == true)
            #expect(try await Self.soon { try await Self.answerOnLoop(reads, path) } != nil, "the loop's connection is back")
        }
    }
}

extension SharedControlsTests {
    /// `answerOnLoop` as `DirectReadHandler` calls it: on an event loop, with the controls'
    /// generation taken first, through that loop's connection once it is ready.
    static func answerOnLoop(_ reads: DirectFileReads, _ path: String) async throws -> (HTTPResponse, ByteBuffer)? {
        let head = DirectReadsTests.head(path)
        let generation = reads.controlsGeneration
        guard let read = reads.read(of: head) else { return nil }
        let loop = readingLoop
        let ready = try await soon { try await loop.submit { reads.loopConnections?.ready(on: loop) }.get() }
        let connection = try #require(ready, "the loop's connection is ready")
        return try await loop.flatSubmit { reads.answerOnLoop(head, read, controlsGeneration: generation, through: connection) }.get()
    }

    /// The loop the tests read on (each loop has a connection of its own, made on its first read).
    static let readingLoop = MultiThreadedEventLoopGroup.singleton.next()

    /// Ends every other session of `location`'s database, as a PostgreSQL restart would.
    static func endEverySession(of location: PostgresLocation) async throws {
        try await location.withConnection(logger: BackendUnderTest.logger) { connection in
            let ended = try await connection.query(
                """
                SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended
                """,
                logger: BackendUnderTest.logger
            )
            for try await count in ended.decode(Int.self) { #expect(count >= 2, "the pool's and the loops' sessions") }
        }
    }

    /// What `read` gives within a few seconds, or nil.
    static func soon<Value>(_ read: () async throws -> Value?) async throws -> Value? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let value = try? await read() { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
