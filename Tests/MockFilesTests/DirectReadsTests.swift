import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import MockFiles

/// The direct reads' own rules: which requests they take, that answers keep request order, and
/// the `Date` header they write. That their answers equal the router's, rule by rule, is checked
/// by RequestRulesTests, and end to end by tests/acceptance/test_direct_reads.py.
@Suite struct DirectReadsTests {
    static let auth: HTTPFields = [.authorization: "Bearer sk-test"]

    static func head(_ path: String, method: HTTPRequest.Method = .get, _ headers: HTTPFields = auth) -> HTTPRequest {
        HTTPRequest(method: method, scheme: nil, authority: "mockfiles", path: path, headerFields: headers)
    }

    static func reads() throws -> (DirectFileReads, TestServer) {
        let server = try TestServer()
        return (try #require(DirectFileReads(server.server)), server)
    }

    @Test func takesOnlyThePlainReads() throws {
        let (reads, server) = try Self.reads()
        defer { server.remove() }
        var withOrigin = Self.auth
        withOrigin[.origin] = "http://localhost"
        var keepAlive = Self.auth
        keepAlive[.connection] = "keep-alive"
        var closing = Self.auth
        closing[.connection] = "close"
        var withBody = Self.auth
        withBody[.contentLength] = "0"
        let cases: [(HTTPRequest, String?)] = [
            (Self.head("/v1/files/file-abc"), "file file-abc"),
            (Self.head("/v1/files/file-abc", keepAlive), "file file-abc"),
            (Self.head("/v1/files"), "page /v1/files"),
            (Self.head("/v1/files?limit=2&after=file-x"), "page /v1/files"),
            (Self.head("/v1/files/file-abc", method: .head), nil),
            (Self.head("/v1/files/file-abc", method: .delete), nil),
            (Self.head("/v1/files/file-abc/content"), nil),
            (Self.head("/v1/files/"), nil),
            (Self.head("/v1/files/file%2Dabc"), nil),
            (Self.head("/v1/files/file-abc?x=1"), nil),
            (Self.head("/v1/filesx"), nil),
            (Self.head("/v1/uploads"), nil),
            (Self.head("/v1/files/file-abc", withOrigin), nil),
            (Self.head("/v1/files/file-abc", closing), nil),
            (Self.head("/v1/files/file-abc", withBody), nil),
        ]
        for (head, expected) in cases {
            let read: String? =
                switch reads.read(of: head) {
                case .file(let id): "file \(id)"
                case .page(let uri): "page \(uri.path)"
                case nil: nil
                }
            #expect(read == expected, "\(head.method) \(head.path ?? "")")
        }
        _ = try server.server.controls.faults.add { id in
            try FaultRule(json: JSONBody(fields: ["path": "/elsewhere", "status": 500]), id: id)
        }
        #expect(reads.read(of: Self.head("/v1/files")) == nil, "a fault rule in force leaves every request to the router")
    }

    /// Direct, handed on, direct while the handed-on one is unanswered (handed on too), its answer,
    /// then direct again.
    @Test func answersLeaveInRequestOrder() async throws {
        let (reads, server) = try Self.reads()
        defer { server.remove() }
        _ = try await server.metadata.insert(
            StoredFile(
                id: "file-direct",
                tenant: "shared",
                purpose: "user_data",
                filename: "d.txt",
                bytes: 1,
                createdAt: 1_750_000_000,
                expiresAt: nil
            )
        )
        let channel = EmbeddedChannel(handler: DirectReadHandler(reads: reads))
        defer { _ = try? channel.finish() }
        func send(_ path: String) throws {
            try channel.writeInbound(HTTPRequestPart.head(Self.head(path)))
            try channel.writeInbound(HTTPRequestPart.end(nil))
        }
        func answeredDirectly() throws -> HTTPResponse.Status? {
            guard case .head(let response) = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
            guard case .body = try channel.readOutbound(as: HTTPResponsePart.self), case .end = try channel.readOutbound(as: HTTPResponsePart.self)
            else { return nil }
            return response.status
        }
        func handedOn() throws -> String? {
            guard case .head(let head) = try channel.readInbound(as: HTTPRequestPart.self) else { return nil }
            guard case .end = try channel.readInbound(as: HTTPRequestPart.self) else { return nil }
            return head.path
        }

        try send("/v1/files/file-direct")
        #expect(try answeredDirectly() == .ok)
        #expect(try handedOn() == nil)

        try send("/v1/files/file-missing")  // a 404: the router's
        #expect(try handedOn() == "/v1/files/file-missing")
        try send("/v1/files/file-direct")  // behind an unanswered request
        #expect(try handedOn() == "/v1/files/file-direct")
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)

        // The router answers both; what it writes passes through unchanged.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .notFound)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .head(HTTPResponse(status: .notFound)))
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .end(nil))
        }
        try send("/v1/files/file-direct")
        #expect(try answeredDirectly() == .ok)
        #expect(try handedOn() == nil)
    }

    @Test func dateHeaderIsIMFFixdate() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        let seconds = [0, 951_782_400, 1_790_000_000, 4_102_444_799] + (0..<2000).map { _ in Int.random(in: 0...4_102_444_799, using: &generator) }
        for second in seconds {
            #expect(
                HTTPDate.format(secondsSince1970: second) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(second))),
                "\(second)"
            )
        }
        #expect(HTTPDate.now == formatter.string(from: Date()) || HTTPDate.now == formatter.string(from: Date().addingTimeInterval(-1)))
    }
}
