import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import MockFiles

/// The direct reads of a shared store (`DirectFileReads.answerLater`): the router's answer, its
/// log entry in the shared log before the answer is given, and the router's answer instead
/// whenever another instance changed the controls since this one last read them.
extension SharedControlsTests {
    @Test func aSharedDirectReadAnswersAsTheRouterAndIsInTheLogOfEveryInstance() async throws {
        try await withTwoServers { a, _, clientA, clientB in
            let created = try await clientB.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let id = try #require(created["id"] as? String)
            let reads = try #require(DirectFileReads(a))
            #expect(reads.readers == nil, "a shared store is read in a task")
            // A has not read the controls yet: its first request is the router's.
            #expect(try await clientA.getJSON("/v1/files").0 == .ok)
            for path in ["/v1/files/\(id)", "/v1/files?limit=2"] {
                let head = DirectReadsTests.head(path)
                let read = try #require(reads.read(of: head))
                let (response, body) = try #require(await reads.answerLater(head, read), "\(path)")
                // Answered on A: B's log has it at once, before anything else is asked of A.
                let (_, logged) = try await clientB.getJSON("/admin/requests?limit=1")
                let entry = try #require((logged["data"] as? [[String: Any]])?.first)
                #expect(entry["instance"] as? String == "a" && entry["path"] as? String == head.path?.split(separator: "?").first.map(String.init))
                #expect(entry["status"] as? Int == 200 && entry["bytes_out"] as? Int == body.readableBytes)
                let (routedStatus, routedBody) = try await clientA.execute(uri: path, method: .get, headers: DirectReadsTests.auth) {
                    ($0.status, $0.body)
                }
                #expect(response.status == routedStatus && body == routedBody, "\(path)")
                #expect(response.headerFields[.contentType] == "application/json" && response.headerFields[.xRequestID] != nil)
            }
        }
    }

    @Test func aSharedDirectReadLeavesToTheRouterWhatAnotherInstanceChanged() async throws {
        try await withTwoServers { a, _, clientA, clientB in
            let created = try await clientA.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let head = DirectReadsTests.head("/v1/files/\(try #require(created["id"] as? String))")
            let reads = try #require(DirectFileReads(a))
            let read = try #require(reads.read(of: head))
            #expect(await reads.answerLater(head, read) != nil)

            // A rule for another path, set through B: A's copy is behind, so its direct read
            // is refused (the router synchronizes and answers), with nothing logged.
            _ = try await clientB.postJSON("/admin/faults", ["path": "/v1/elsewhere", "status": 500])
            let (_, before) = try await clientB.getJSON("/admin/requests")
            #expect(await reads.answerLater(head, read) == nil)
            let (_, after) = try await clientB.getJSON("/admin/requests")
            let logged = ((before["data"] as? [Any])?.count ?? 0, (after["data"] as? [Any])?.count ?? 0)
            #expect(logged.1 == logged.0, "nothing was answered, so nothing is logged")
            // Once A's router has caught up, the rule in force sends every request to it.
            #expect(try await clientA.getJSON(head.path ?? "").0 == .ok)
            #expect(reads.read(of: head) == nil)

            // The clock moved through B: refused again, until A has read it.
            _ = try await clientB.execute(uri: "/admin/faults", method: .delete, headers: DirectReadsTests.auth) { _ in }
            #expect(try await clientA.getJSON(head.path ?? "").0 == .ok)
            let again = try #require(reads.read(of: head))
            #expect(await reads.answerLater(head, again) != nil)
            _ = try await clientB.postJSON("/admin/clock", ["advance_seconds": 60])
            #expect(await reads.answerLater(head, again) == nil)
        }
    }

    /// Pipelined on one connection: a direct read, a 404 (the task finds no file and hands the
    /// request on), and a direct read behind it. Nothing behind a read in a task moves before its
    /// answer is written or the request handed on; the last waits for the router's answer.
    @Test func requestsBehindASharedDirectReadWaitForIt() async throws {
        try await withTwoServers { a, _, clientA, _ in
            let created = try await clientA.createFile(.createFile(filename: "d.txt", contents: Array("direct".utf8)))
            let file = "/v1/files/\(try #require(created["id"] as? String))"
            let reads = try #require(DirectFileReads(a))
            let channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(DirectReadHandler(reads: reads))
                try channel.pipeline.syncOperations.addHandler(DeliveredAtReadComplete())
            }
            for path in [file, "/v1/files/file-missing", file] {
                try await channel.writeInbound(HTTPRequestPart.head(DirectReadsTests.head(path)))
                try await channel.writeInbound(HTTPRequestPart.end(nil))
            }
            func answered() async throws -> HTTPResponsePart? { try await Self.soon { try await channel.readOutbound(as: HTTPResponsePart.self) } }
            func handedOn() async throws -> HTTPRequestPart? { try await Self.soon { try await channel.readInbound(as: HTTPRequestPart.self) } }
            guard case .head(let response) = try await answered(), case .body = try await answered(), case .end = try await answered() else {
                Issue.record("the first request is answered first, whole")
                return
            }
            #expect(response.status == .ok)
            // The 404 is the router's, and the read behind it goes there too, in order.
            for path in ["/v1/files/file-missing", file] {
                #expect(try await handedOn() == .head(DirectReadsTests.head(path)))
                #expect(try await handedOn() == .end(nil))
            }
            #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil, "no answer passed the router's")
            _ = try await channel.finish()
        }
    }
}

extension SharedControlsTests {
    /// What `read` gives within a few seconds (a read in a task is on its way), or nil.
    static func soon<Value>(_ read: () async throws -> Value?) async throws -> Value? {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let value = try await read() { return value }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}

/// Passes reads on only when their read cycle ends, as the request loop's `NIOAsyncChannel`
/// handler does: a part handed on outside a cycle, with none ended after it, never arrives.
final class DeliveredAtReadComplete: ChannelInboundHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    private var pending: [NIOAny] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        for data in pending { context.fireChannelRead(data) }
        pending = []
        context.fireChannelReadComplete()
    }
}
