import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import MockFiles

/// The head deadline and the connection caps (docs/security.md), on the real pipeline in an
/// `EmbeddedChannel` whose clock the tests move.
@Suite struct HeadDeadlineTests {
    static let timeout = TimeAmount.seconds(10)

    /// A connected channel with mockfiles' HTTP/1 handlers (no direct reads), admitted to `gate`.
    static func connection(gate: ConnectionGate, from address: String = "10.0.0.1") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: address, port: 40000)  // before the handlers read it
        let bounds = MockFilesHTTP1Channel.Bounds(idleTimeout: .seconds(3600), headTimeout: timeout, gate: gate)
        try MockFilesHTTP1Channel.addHandlers(
            to: channel,
            bounds: bounds,
            defaultScope: DefaultScope(organization: "org-test", project: "proj_test"),
            directReads: nil,
            logger: Logger(label: "test")
        )
        try channel.connect(to: SocketAddress(ipAddress: address, port: 40000)).wait()
        return channel
    }

    static func gate(total: Int = 100, perAddress: Int = 100) -> ConnectionGate {
        ConnectionGate(maxConnections: total, maxPerAddress: perAddress)
    }

    func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the socket so far, as text.
    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func requestHead(_ channel: EmbeddedChannel) throws -> HTTPRequest? {
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { return head }
        }
        return nil
    }

    /// The status and the error object of a raw answer.
    func envelope(_ answer: String) throws -> (status: String, error: [String: Any]) {
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let body = try #require(parts.count == 2 ? parts[1] : nil, "\(answer.debugDescription)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        return (parts[0].components(separatedBy: "\r\n")[0], error)
    }

    @Test func aHeadTrickledInIsAnswered408AtTheDeadlineFromAccept() throws {
        let channel = try Self.connection(gate: Self.gate())
        defer { _ = try? channel.finish() }
        for piece in ["GET /health HTTP/1.1\r\n", "Host: mockfiles\r\n", "X-Slow: a", "b", "c"] {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try send(channel, piece)  // each byte is news, yet the deadline stays where it was
        }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(4900))
        #expect(channel.isActive)
        #expect(try written(channel) == "")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        let answer = try written(channel)
        let (status, error) = try envelope(answer)
        #expect(status == "HTTP/1.1 408 Request Timeout")
        #expect(error["message"] as? String == "The request head did not arrive in time.")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] is NSNull && error["code"] is NSNull)
        #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
        #expect(!channel.isActive)
        #expect(try requestHead(channel) == nil)
    }

    @Test func aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws {
        let channel = try Self.connection(gate: Self.gate())
        defer { _ = try? channel.finish() }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
        #expect(try written(channel) == "")
    }

    /// A complete head ends the deadline (a body may take as long as it needs); a keep-alive
    /// connection silent after an answer keeps it off; the next head's first byte starts it again.
    @Test func theDeadlineCoversHeadsOnlyAndRestartsAtTheNextHeadsFirstByte() throws {
        let channel = try Self.connection(gate: Self.gate())
        defer { _ = try? channel.finish() }
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        try send(channel, "POST /v1/files HTTP/1.1\r\nHost: mockfiles\r\nContent-Length: 10\r\n\r\n12345")
        #expect(try requestHead(channel)?.method == .post)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive, "a slow body is not the head deadline's")
        try send(channel, "67890")
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try written(channel).hasPrefix("HTTP/1.1 200 OK"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive, "a silent keep-alive connection is the idle timeout's")
        try send(channel, "GET /v1/fi")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(try envelope(try written(channel)).status == "HTTP/1.1 408 Request Timeout")
        #expect(!channel.isActive)
    }

    /// A head pipelined behind a request still being answered waits its turn: its deadline starts
    /// when the answer ends.
    @Test func aPipelinedHeadsDeadlineStartsWhenTheAnswerBeforeItEnds() throws {
        let channel = try Self.connection(gate: Self.gate())
        defer { _ = try? channel.finish() }
        try send(channel, "GET /slow HTTP/1.1\r\nHost: mockfiles\r\n\r\n")
        #expect(try requestHead(channel)?.path == "/slow")
        try send(channel, "GET /next HT")
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(try written(channel).contains("HTTP/1.1 408 Request Timeout"))
    }

    @Test func aNewcomerOverTheAddressCapClosesThatAddresssLongestWaitingConnection() throws {
        let gate = Self.gate(perAddress: 2)
        let slow = try Self.connection(gate: gate)
        let idle = try Self.connection(gate: gate)
        let elsewhere = try Self.connection(gate: gate, from: "10.0.0.2")
        defer { for channel in [slow, idle, elsewhere] { _ = try? channel.finish() } }
        try send(slow, "GET /v1/files HTTP/1.1\r\nHost: m")
        let newcomer = try Self.connection(gate: gate)
        defer { _ = try? newcomer.finish() }
        slow.embeddedEventLoop.run()
        #expect(try envelope(try written(slow)).status == "HTTP/1.1 408 Request Timeout")
        #expect(!slow.isActive)
        #expect(idle.isActive && elsewhere.isActive && newcomer.isActive)
    }

    /// With every slot busy a newcomer is still accepted: it is answered for `/health` only.
    @Test func overTheCapsOnlyHealthIsAnswered() throws {
        let gate = Self.gate(total: 1)
        let busy = try Self.connection(gate: gate)
        defer { _ = try? busy.finish() }
        try send(busy, "POST /v1/files HTTP/1.1\r\nHost: mockfiles\r\nContent-Length: 100\r\n\r\n")
        #expect(try requestHead(busy) != nil)

        let health = try Self.connection(gate: gate)
        defer { _ = try? health.finish() }
        try send(health, "GET /health HTTP/1.1\r\nHost: mockfiles\r\n\r\n")
        #expect(try requestHead(health)?.path == "/health")

        let other = try Self.connection(gate: gate)
        defer { _ = try? other.finish() }
        try send(other, "GET /v1/files HTTP/1.1\r\nHost: mockfiles\r\n\r\n")
        #expect(try requestHead(other) == nil)
        let (status, error) = try envelope(try written(other))
        #expect(status == "HTTP/1.1 503 Service Unavailable")
        #expect(error["type"] as? String == "server_error")
        #expect(!other.isActive)
        #expect(busy.isActive && health.isActive)
    }
}

/// The settings behind them: defaults, the environment, and values refused at start.
@Suite struct SlowClientSettingsTests {
    func settings(_ values: [String: String]) async throws -> ServerSettings {
        try ServerSettings(config: try await ServerSettings.configReader(flags: [:], configFile: nil, environment: values))
    }

    @Test func theHeadDeadlineAndTheCapsAreSettings() async throws {
        let defaults = try await settings([:])
        #expect(defaults.headTimeoutSeconds == 10 && defaults.maxConnections == 1024 && defaults.maxConnectionsPerAddress == 256)
        let set = try await settings([
            "MOCKFILES_HEAD_TIMEOUT_SECONDS": "2.5", "MOCKFILES_MAX_CONNECTIONS": "40", "MOCKFILES_MAX_CONNECTIONS_PER_ADDRESS": "12",
        ])
        #expect(set.headTimeoutSeconds == 2.5 && set.maxConnections == 40 && set.maxConnectionsPerAddress == 12)
        for (key, value) in [
            ("MOCKFILES_HEAD_TIMEOUT_SECONDS", "0"), ("MOCKFILES_HEAD_TIMEOUT_SECONDS", "1e300"), ("MOCKFILES_IDLE_TIMEOUT_SECONDS", "1e300"),
            ("MOCKFILES_MAX_CONNECTIONS_PER_ADDRESS", "0"), ("MOCKFILES_MAX_CONNECTIONS", "-1"),
        ] {
            await #expect(throws: SettingsError.self, "\(key)=\(value)") { try await settings([key: value]) }
        }
    }
}

/// `ConnectionRoster`, the gate's bookkeeping: who is closed to make room for a newcomer.
@Suite struct ConnectionRosterTests {
    @Test func theLongestWaitingOfTheNewcomersAddressMakesRoom() {
        var roster = ConnectionRoster<String>(maxConnections: 10, maxPerAddress: 2)
        let (a, _) = roster.admit(address: "A", token: "a1")
        _ = roster.admit(address: "B", token: "b1")
        _ = roster.admit(address: "A", token: "a2")
        roster.setWaiting(a.id, false)  // a1 is under way with a request
        let (admission, closed) = roster.admit(address: "A", token: "a3")
        #expect(closed == ["a2"])
        #expect(!admission.overCap)
        #expect(roster.countByAddress == ["A": 2, "B": 1])
    }

    @Test func overTheTotalAConnectionWaitingSinceLongestMakesRoom() {
        var roster = ConnectionRoster<String>(maxConnections: 3, maxPerAddress: 3)
        let (first, _) = roster.admit(address: "A", token: "first")
        _ = roster.admit(address: "B", token: "second")
        _ = roster.admit(address: "C", token: "third")
        roster.setWaiting(first.id, false)
        roster.setWaiting(first.id, true)  // answered: it waits again, from now
        let (_, closed) = roster.admit(address: "D", token: "fourth")
        #expect(closed == ["second"])
        #expect(roster.members.count == 3)
    }

    @Test func withEverySlotBusyTheNewcomerIsAdmittedOverTheCap() {
        var roster = ConnectionRoster<String>(maxConnections: 2, maxPerAddress: 1)
        for token in ["a", "b"] {
            let (admission, _) = roster.admit(address: token, token: token)
            roster.setWaiting(admission.id, false)
        }
        let (overTotal, closed) = roster.admit(address: "c", token: "c")
        #expect(overTotal.overCap && closed.isEmpty)
        let (overAddress, closedToo) = roster.admit(address: "a", token: "a2")
        #expect(overAddress.overCap)
        #expect(closedToo == ["c"], "the newcomer before it was waiting: it makes room")
        roster.remove(overAddress.id)
        #expect(roster.countByAddress == ["a": 1, "b": 1])
    }
}
