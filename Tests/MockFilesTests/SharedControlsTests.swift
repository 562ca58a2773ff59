import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import MockFiles

/// Two instances on one PostgreSQL database agree on the test controls at once: the clock, fault
/// rules (a `times: 1` rule fires once across both), the request log (tagged by instance), reset.
@Suite(.enabled(if: BackendUnderTest.available.contains(.postgres), "needs MOCKFILES_TEST_DATABASE_URL (scripts/test starts PostgreSQL)"))
struct SharedControlsTests {
    /// Two servers on a fresh database (and one data directory for their blobs), their routers
    /// driven in-process.
    func withTwoInstances(
        requestLogCapacity: Int = 1000,
        _ body: @Sendable @escaping (any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withTwoServers(requestLogCapacity: requestLogCapacity) { _, _, clientA, clientB in try await body(clientA, clientB) }
    }

    /// The same, with the servers too (their direct reads are made from them).
    func withTwoServers(
        requestLogCapacity: Int = 1000,
        _ body: @Sendable @escaping (MockFilesServer, MockFilesServer, any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await BackendUnderTest.withFreshDatabase { location in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-shared-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            func instance(_ name: String) async throws -> MockFilesServer {
                var settings = ServerSettings()
                settings.dataDirectory = directory
                settings.storage.database = location
                settings.instanceName = name
                settings.requestLogCapacity = requestLogCapacity
                settings.logLevel = .error
                let storage = try await StorageBackends.open(settings, logger: BackendUnderTest.logger)
                return try MockFilesServer(settings: settings, storage: storage)
            }
            let (a, b) = (try await instance("a"), try await instance("b"))
            try await BackendUnderTest.running(a.storage) {
                try await BackendUnderTest.running(b.storage) {
                    try await Application(router: buildRouter(a), configuration: .init()).test(.router) { clientA in
                        try await Application(router: buildRouter(b), configuration: .init()).test(.router) { clientB in
                            try await body(a, b, clientA, clientB)
                        }
                    }
                }
            }
        }
    }

    @Test func theClockMovedOnOneInstanceHasMovedOnTheOther() async throws {
        try await withTwoInstances { a, b in
            let (_, frozen) = try await a.postJSON("/admin/clock", ["now": 2_000_000_000, "frozen": true])
            #expect(frozen["now"] as? Int64 == 2_000_000_000)
            let (_, seen) = try await b.getJSON("/admin/clock")
            #expect(seen["now"] as? Int64 == 2_000_000_000 && seen["frozen"] as? Bool == true)
            _ = try await b.postJSON("/admin/clock", ["advance_seconds": 3600])
            let (_, later) = try await a.getJSON("/admin/clock")
            #expect(later["now"] as? Int64 == 2_000_003_600)
            // A file made on one instance expires by the clock the other moved.
            let created = try await a.createFile(.createFile(purpose: "batch", filename: "b.jsonl", contents: Array("{}\n".utf8)))
            let id = try #require(created["id"] as? String)
            let thirtyDaysLater: Int64 = 2_000_003_600 + 30 * 86_400
            #expect((created["expires_at"] as? NSNumber)?.int64Value == thirtyDaysLater)
            _ = try await b.postJSON("/admin/clock", ["advance_seconds": 30 * 86_400])
            let (status, _) = try await a.getJSON("/v1/files/\(id)")
            #expect(status == .notFound)
        }
    }

    /// A snapshot taken through one instance and restored through the other: every instance
    /// sees the files, the clock and the rules with their counts; a rule added later gets a new id.
    @Test func aSnapshotRestoredOnOneInstanceIsTheStateOfBoth() async throws {
        try await withTwoInstances { a, b in
            let created = try await a.createFile(.createFile(contents: Array("kept".utf8)))
            let id = try #require(created["id"] as? String)
            _ = try await a.postJSON("/admin/clock", ["now": 2_000_000_000, "frozen": true])
            _ = try await a.postJSON("/admin/faults", ["path": "/v1/models", "status": 503, "times": 2])
            _ = try await a.getJSON("/v1/models")
            let archive = try await a.execute(uri: "/admin/snapshot", method: .get) { $0.body }
            _ = try await b.postJSON("/admin/reset", [String: Any]())
            _ = try await b.postJSON("/admin/clock", ["now": 1_000_000_000])
            let restored = try await b.execute(uri: "/admin/snapshot", method: .post, headers: [.contentType: "application/x-tar"], body: archive) {
                ($0.status, jsonObject($0.body))
            }
            #expect(restored.0 == .ok && restored.1["files_restored"] as? Int == 1, "\(restored.1)")
            let (status, file) = try await a.getJSON("/v1/files/\(id)")
            #expect(status == .ok && file["bytes"] as? Int == 4)
            let (_, clock) = try await a.getJSON("/admin/clock")
            #expect(clock["now"] as? Int64 == 2_000_000_000 && clock["frozen"] as? Bool == true)
            let (_, listed) = try await a.getJSON("/admin/faults")
            let rule = try #require((listed["data"] as? [[String: Any]])?.first)
            #expect(rule["id"] as? String == "fault_1" && rule["fired"] as? Int == 1 && rule["times_remaining"] as? Int == 1)
            let (_, added) = try await a.postJSON("/admin/faults", ["path": "/v1/other", "status": 500])
            #expect(added["id"] as? String != "fault_1", "\(added)")
        }
    }

    @Test func aRuleForOneRequestFiresOnceAcrossInstances() async throws {
        try await withTwoInstances { a, b in
            let (status, _) = try await a.postJSON("/admin/faults", ["path": "/v1/files", "status": 503, "times": 1])
            #expect(status == .ok)
            var failures = 0
            for client in [b, a, b, a] {
                let status = try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { $0.status }
                if status == .serviceUnavailable { failures += 1 } else { #expect(status == .ok) }
            }
            #expect(failures == 1)
            let (_, listed) = try await b.getJSON("/admin/faults")
            let rule = try #require((listed["data"] as? [[String: Any]])?.first)
            #expect(rule["fired"] as? Int == 1 && rule["times_remaining"] as? Int == 0)
        }
    }

    @Test func theRequestLogShowsEveryInstanceAndResetClearsEverywhere() async throws {
        try await withTwoInstances { a, b in
            try await a.execute(uri: "/v1/files?limit=1", method: .get, headers: testKeyHeaders) { #expect($0.status == .ok) }
            try await b.execute(uri: "/v1/files?limit=2", method: .get, headers: testKeyHeaders) { #expect($0.status == .ok) }
            let (_, log) = try await a.getJSON("/admin/requests")
            let entries = try #require(log["data"] as? [[String: Any]])
            #expect(entries.map { $0["instance"] as? String } == ["b", "a"], "newest first, each tagged")
            _ = try await a.postJSON("/admin/faults", ["path": "/v1/nothing", "status": 500])
            _ = try await b.createFile(.createFile())
            let (status, report) = try await b.postJSON("/admin/reset", [:])
            #expect(status == .ok && report["faults_removed"] as? Int == 1 && report["files_removed"] as? Int == 1)
            let (_, faults) = try await a.getJSON("/admin/faults")
            #expect((faults["data"] as? [Any])?.isEmpty == true)
            let (_, cleared) = try await a.getJSON("/admin/requests")
            #expect((cleared["data"] as? [Any])?.isEmpty == true)
        }
    }

    /// The journal both instances write: one numbering, one count of what trimming let go, and a
    /// verification through either sees the other's requests.
    @Test func theSharedJournalNumbersCountsAndVerifiesAcrossInstances() async throws {
        try await withTwoInstances { a, b in
            _ = try await a.createFile(.createFile())
            _ = try await b.getJSON("/v1/files/file-missing")
            let (status, verified) = try await a.postJSON("/admin/verify", ["path": "/v1/files/*", "status": "4xx", "count": 1])
            #expect(status == .ok && verified["matched"] as? Int == 1)
            let (_, log) = try await b.getJSON("/admin/requests?order=asc")
            let entries = try #require(log["data"] as? [[String: Any]])
            let sequences = entries.compactMap { $0["seq"] as? Int }
            #expect(sequences.count == 2 && sequences[0] < sequences[1])
            #expect(entries.map { $0["instance"] as? String } == ["a", "b"])
            #expect(entries[0]["multipart_fields"] as? [String] == ["purpose", "file"])
            _ = try await a.postJSON("/admin/reset", [:])
            for _ in 0..<3 { _ = try await b.getJSON("/v1/files") }
            let (_, fresh) = try await a.getJSON("/admin/requests")
            #expect((fresh["data"] as? [Any])?.count == 3 && fresh["dropped"] as? Int == 0, "a reset is no drop")
        }
    }

    @Test func theSharedJournalCountsWhatTheCapacityLetGo() async throws {
        try await withTwoInstances(requestLogCapacity: 3) { a, b in
            for index in 0..<5 { _ = try await (index.isMultiple(of: 2) ? a : b).getJSON("/v1/files") }
            let (_, log) = try await a.getJSON("/admin/requests")
            #expect((log["data"] as? [Any])?.count == 3 && log["dropped"] as? Int == 2)
        }
    }
}
