import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import Testing

@testable import MockFiles

/// The router and the direct reads run one list of request rules (`RequestRules`). For every rule
/// in it, a request shows its part: one the direct reads answer must get the router's headers,
/// body, log entry and metrics; one the rule leaves to the router must be declined, with nothing
/// recorded. End to end, over sockets: tests/acceptance/test_direct_reads.py.
@Suite struct RequestRulesTests {
    /// How a request shows a rule's part.
    enum Exercise {
        /// Answered directly, with the rule's part in the answer.
        case answered(String, HTTPFields)
        /// Left to the router because of the rule.
        case declined(String, HTTPFields)
        /// Left to the router while a fault rule is in force (for any path).
        case declinedWhileAFaultIsArmed
    }

    /// Each rule's requests, by the rule's type: a rule added to the list without any here fails
    /// `everyRuleIsExercised`. Files `ids[0]`… exist; a page of six is over `gzipMinimumBytes`.
    static func exercises(_ ids: [String]) -> [String: [Exercise]] {
        let file = "/v1/files/\(ids[0])"
        return [
            "OpenAIHeadersMiddleware": [.answered(file, headers())],
            "CORSMiddleware": [.answered(file, headers()), .declined(file, headers([.origin: "http://localhost:3000"]))],
            "MetricsMiddleware": [.answered("/v1/files?limit=2&order=asc&purpose=user_data&after=\(ids[1])", headers())],
            "RequestLogMiddleware": [.answered(file, headers(key: "sk-longer-key"))],
            "ErrorEnvelopeMiddleware": [.declined("/v1/files/file-missing", headers()), .declined("/v1/files?limit=0", headers())],
            "FaultMiddleware": [.declinedWhileAFaultIsArmed],
            "ContentEncodingMiddleware": [.declined(file, headers([.contentEncoding: "gzip"]))],
            "ExpectContinueMiddleware": [.declined(file, headers([.expect: "100-continue"]))],
            "AuthMiddleware": [
                .answered(file, headers([.openAIOrganization: "org-other", .openAIProject: "proj_other"])),
                .declined(file, [:]),
            ],
            "GzipMiddleware": [
                .answered("/v1/files?limit=100", headers([.acceptEncoding: "gzip, deflate"])),
                .answered("/v1/files?limit=100", headers([.acceptEncoding: "identity"])),
            ],
        ]
    }

    @Test func everyRuleIsExercised() throws {
        let server = try TestServer()
        defer { server.remove() }
        let names = RequestRules(server.server).all.map { String(describing: type(of: $0)) }
        #expect(Set(names).count == names.count, "a rule is in the list once")
        #expect(Set(names) == Set(Self.exercises(["file-x", "file-y"]).keys))
    }

    @Test func bothPathsApplyEveryRuleAlike() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let reads = try #require(DirectFileReads(server.server))
        let store = try #require(reads.readers).reader(for: EmbeddedEventLoop())
        let ids = try await server.test { client in
            var ids: [String] = []
            for n in 0..<6 {
                let created = try await client.createFile(.createFile(filename: "d\(n).txt", contents: Array(repeating: 120, count: n + 1)))
                ids.append(try #require(created["id"] as? String))
            }
            return ids
        }
        for (rule, exercises) in Self.exercises(ids).sorted(by: { $0.key < $1.key }) {
            for exercise in exercises {
                switch exercise {
                case .answered(let path, let fields):
                    let head = DirectReadsTests.head(path, fields)
                    let direct = await Self.recorded(server) { reads.read(of: head).flatMap { reads.answer(head, $0, from: store) } }
                    let routed = try await Self.recorded(server) {
                        try await server.test { client in
                            try await client.execute(uri: path, method: .get, headers: fields) { ($0.head, $0.body) }
                        }
                    }
                    try Self.expectAlike(direct, routed, "\(rule): GET \(path) \(fields)")
                case .declined(let path, let fields):
                    let head = DirectReadsTests.head(path, fields)
                    let declined = await Self.recorded(server) { reads.read(of: head).flatMap { reads.answer(head, $0, from: store) } }
                    #expect(declined.answer == nil && declined.log == nil && declined.metrics.isEmpty, "\(rule): GET \(path) \(fields)")
                case .declinedWhileAFaultIsArmed:
                    _ = try server.server.controls.faults.add { id in
                        try FaultRule(json: JSONBody(fields: ["path": "/elsewhere", "status": 500]), id: id)
                    }
                    #expect(reads.read(of: DirectReadsTests.head("/v1/files/\(ids[0])")) == nil, "\(rule)")
                    _ = server.server.controls.faults.removeAll()
                }
            }
        }
    }

    /// An answer with the log entry and the route metrics it added.
    struct Recorded<Answer> {
        var answer: Answer
        var log: RequestLogEntry?
        var metrics: [String: Double]
    }

    static func recorded<Answer>(_ server: TestServer, _ body: () async throws -> Answer) async rethrows -> Recorded<Answer> {
        let (entries, before) = (server.server.controls.requestLog.journal().entries.count, routeSeries(server))
        let answer = try await body()
        let journal = server.server.controls.requestLog.journal().entries
        return Recorded(answer: answer, log: journal.count > entries ? journal.first : nil, metrics: difference(routeSeries(server), before))
    }

    /// Everything but what differs by nature: the request id, the time taken, and `Date` (the
    /// router's comes from the server below it, absent in these in-process requests).
    static func expectAlike(_ direct: Recorded<(HTTPResponse, ByteBuffer)?>, _ routed: Recorded<(HTTPResponse, ByteBuffer)>, _ comment: String) throws
    {
        let answer = try #require(direct.answer, "not answered directly: \(comment)")
        let volatile: Set<HTTPField.Name> = [.xRequestID, .openAIProcessingMS]
        func fields(_ response: HTTPResponse) -> [String] {
            response.headerFields.filter { $0.name != .date }.map { volatile.contains($0.name) ? $0.name.canonicalName : "\($0.name): \($0.value)" }
        }
        #expect(answer.0.status == routed.answer.0.status, "\(comment)")
        #expect(fields(answer.0) == fields(routed.answer.0), "\(comment)")
        #expect(answer.1 == routed.answer.1, "\(comment)")
        #expect(direct.log?.requestID == answer.0.headerFields[.xRequestID], "\(comment)")
        #expect(logLine(direct.log) == logLine(routed.log), "\(comment)")
        #expect(direct.metrics == routed.metrics && !direct.metrics.isEmpty, "\(comment)")
    }

    static func logLine(_ entry: RequestLogEntry?) -> String? {
        guard var entry else { return nil }
        (entry.sequence, entry.requestID, entry.durationMilliseconds) = (0, "", 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(entry)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The API routes' counters (durations differ by nature; their counts must not).
    static func routeSeries(_ server: TestServer) -> [String: Double] {
        let kept = ["mockfiles_http_requests_total{", "mockfiles_http_response_bytes_total{", "mockfiles_http_request_duration_seconds_count{"]
        var series: [String: Double] = [:]
        for line in String(decoding: server.server.metrics.exposition(), as: UTF8.self).split(separator: "\n") {
            guard kept.contains(where: { line.hasPrefix($0) }), line.contains("route=\"/v1"), let space = line.lastIndex(of: " ") else { continue }
            series[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return series
    }

    static func difference(_ after: [String: Double], _ before: [String: Double]) -> [String: Double] {
        after.reduce(into: [:]) { changed, series in
            let change = series.value - before[series.key, default: 0]
            if change != 0 { changed[series.key] = change }
        }
    }
}
