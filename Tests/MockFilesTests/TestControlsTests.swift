import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

@Suite struct FaultTests {
    @Test func aFaultAnswersTheNextNMatchingRequestsThenStops() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let rule: [String: Any] = [
                "method": "GET", "path": "/v1/files*", "status": 429, "times": 2,
                "error": ["message": "Slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"],
                "headers": ["retry-after-ms": 10, "x-should-retry": "true"],
            ]
            let (status, added) = try await client.postJSON("/admin/faults", rule)
            #expect(status == .ok && added["id"] as? String == "fault_1")
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[HTTPField.Name("retry-after-ms")!] == "10")
                    #expect(response.headers[HTTPField.Name("x-should-retry")!] == "true")
                    #expect(response.headers[.xRequestID] != nil)
                    let error = errorObject(response.body)
                    #expect(error["message"] as? String == "Slow down" && error["type"] as? String == "rate_limit_error")
                }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { #expect($0.status == .ok) }
            // Other methods and paths never matched.
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            let (_, listed) = try await client.getJSON("/admin/faults")
            let rules = try #require(listed["data"] as? [[String: Any]])
            #expect(rules.first?["fired"] as? Int == 2 && rules.first?["times_remaining"] as? Int == 0)
            try await client.execute(uri: "/admin/faults/fault_1", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/admin/faults/fault_1", method: .delete) { #expect($0.status == .notFound) }
        }
    }

    @Test func faultsCanTargetOneKeyAndDelay() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            _ = try await client.postJSON("/admin/faults", ["path": "*", "api_key": "sk-flaky", "status": 500])
            _ = try await client.postJSON("/admin/faults", ["path": "/v1/files", "method": "POST", "delay_ms": 200])
            try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-flaky")) {
                #expect($0.status == .internalServerError)
                #expect(errorObject($0.body)["type"] as? String == "server_error")
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-steady")) { #expect($0.status == .ok) }
            let started = ContinuousClock.now
            try await client.createFile(.createFile())
            #expect(ContinuousClock.now - started >= .milliseconds(200))
        }
    }

    @Test func badRulesAreRefusedWithTheirParam() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for (rule, param) in [
                (["status": 200], "status"), (["status": 500, "times": 0], "times"), (["probability": 2, "status": 500], "probability"),
            ]
                as [([String: Any], String)]
            {
                let (status, answer) = try await client.postJSON("/admin/faults", rule)
                #expect(status == .badRequest)
                #expect((answer["error"] as? [String: Any])?["param"] as? String == param)
            }
            #expect(try await client.postJSON("/admin/faults", ["path": "*"]).0 == .badRequest)
        }
    }

    @Test func globMatching() {
        #expect(FaultRule.glob("/v1/files*", matches: "/v1/files"))
        #expect(FaultRule.glob("/v1/files*", matches: "/v1/files/file-1/content"))
        #expect(FaultRule.glob("/v1/*/content", matches: "/v1/files/file-1/content"))
        #expect(!FaultRule.glob("/v1/files", matches: "/v1/files/x"))
        #expect(!FaultRule.glob("/v1/uploads*", matches: "/v1/files"))
    }
}

@Suite struct ClockAndLogTests {
    @Test func advancingTheClockExpiresFilesAndUploads() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let form = MultipartBody.createFile(extraFields: [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600")])
            let id = try #require(try await client.createFile(form)["id"] as? String)
            let uploadID = try await client.createUpload(bytes: 1)
            let (status, clock) = try await client.postJSON("/admin/clock", ["advance_seconds": 3600])
            #expect(status == .ok && clock["now"] as? Int == 1_750_003_600 && clock["frozen"] as? Bool == true)
            #expect(try await client.getJSON("/v1/files/\(id)").0 == .notFound)
            #expect(try await client.addPart(uploadID, [1]).0 == .badRequest)
            let (_, swept) = try await client.postJSON("/admin/sweep", [:])
            #expect(swept["files_removed"] as? Int == 1)
            let (_, set) = try await client.postJSON("/admin/clock", ["now": 1_800_000_000])
            #expect(set["now"] as? Int == 1_800_000_000)
        }
    }

    /// A clock past Int64 seconds trapped the server; out-of-range changes are refused whole.
    @Test func clockChangesOutOfRangeAreRefusedAndChangeNothing() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for change: [String: Any] in [["now": 1e19], ["advance_seconds": 1e300], ["now": -1], ["frozen": false, "advance_seconds": -2e9]] {
                let (status, answer) = try await client.postJSON("/admin/clock", change)
                #expect(status == .badRequest, "\(change)")
                #expect((answer["error"] as? [String: Any])?["param"] as? String != nil)
            }
            let (_, clock) = try await client.getJSON("/admin/clock")
            #expect(clock["now"] as? Int == 1_750_000_000 && clock["frozen"] as? Bool == true)
        }
    }

    @Test func theRequestLogKeepsTheMostRecentRequests() async throws {
        let server = try TestServer { $0.requestLogCapacity = 3 }
        defer { server.remove() }
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile())["id"] as? String)
            for _ in 0..<3 { _ = try await client.getJSON("/v1/files/\(id)") }
            _ = try await client.getJSON("/v1/nothing")
            let (_, log) = try await client.getJSON("/admin/requests?limit=3")
            let entries = try #require(log["data"] as? [[String: Any]])
            #expect(entries.count == 3)
            #expect(entries[0]["path"] as? String == "/v1/nothing" && entries[0]["status"] as? Int == 404)
            #expect(entries[1]["object_id"] as? String == id && entries[1]["method"] as? String == "GET")
            #expect((entries[1]["request_id"] as? String)?.hasPrefix("req_") == true)
            #expect(try await client.getJSON("/admin/requests?limit=0").0 == .badRequest)
        }
    }

    @Test func processingDelayReportsUploadedUntilTheClockPassesIt() async throws {
        let server = try TestServer { $0.files.processingDelaySeconds = 2 }
        defer { server.remove() }
        try await server.test { client in
            let file = try await client.createFile(.createFile())
            #expect(file["status"] as? String == "uploaded")
            _ = try await client.postJSON("/admin/clock", ["advance_seconds": 2])
            #expect(try await client.getJSON("/v1/files/\(file["id"] as! String)").1["status"] as? String == "processed")
        }
    }

    @Test func seededIDsRepeatRunToRun() {
        let first = IDGenerator(seed: 7)
        let second = IDGenerator(seed: 7)
        let ids = (0..<5).map { _ in first.fileID() }
        #expect(ids == (0..<5).map { _ in second.fileID() })
        #expect(Set(ids).count == 5 && IDGenerator(seed: 8).fileID() != ids[0])
    }
}

@Suite struct FixtureAndResetTests {
    static func fixtureDirectory(_ manifest: String, files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-fixtures-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try manifest.write(toFile: directory + "/fixtures.json", atomically: true, encoding: .utf8)
        for (name, contents) in files { try contents.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    @Test func fixturesLoadWithTheirIDsTimesAndTenantsAndResetRestoresThem() async throws {
        let directory = try Self.fixtureDirectory(
            """
            {"files": [
              {"path": "a.txt", "purpose": "user_data", "id": "file-fixed", "created_at": 1700000000},
              {"path": "b.jsonl", "purpose": "batch_output", "api_key": "sk-b"}
            ]}
            """,
            files: ["a.txt": "alpha", "b.jsonl": "{}\n"]
        )
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try TestServer { settings in
            settings.tenancy = .perKey
            settings.fixturesDirectory = directory
        }
        defer { server.remove() }
        #expect(try await server.server.controls.loadFixtures() == 2)
        #expect(try await server.server.controls.loadFixtures() == 0, "loading again changes nothing")
        try await server.test { client in
            let (status, fixed) = try await client.getJSON("/v1/files/file-fixed", key: "sk-fixtures")
            #expect(status == .ok && fixed["created_at"] as? Int == 1_700_000_000 && fixed["filename"] as? String == "a.txt")
            let (_, list) = try await client.getJSON("/v1/files", key: "sk-b")
            #expect((list["data"] as? [[String: Any]])?.first?["purpose"] as? String == "batch_output")
            try await client.createFile(.createFile(), key: "sk-b")
            let (_, report) = try await client.postJSON("/admin/reset", [:])
            #expect(report["files_removed"] as? Int == 3 && report["fixtures_loaded"] as? Int == 2)
            let (_, after) = try await client.getJSON("/v1/files", key: "sk-b")
            #expect((after["data"] as? [Any])?.count == 1)
        }
        #expect(server.blobPaths().count == 2)
    }

    @Test func aBadManifestNamesTheEntryAndTheProblem() throws {
        let cases: [(String, String)] = [
            (#"{"files": [{"path": "a.txt", "purpose": "user_data"}, {"path": "missing.txt", "purpose": "user_data"}]}"#, "files[1]: content file"),
            (#"{"files": [{"path": "a.txt", "purpose": "nope"}]}"#, "files[0]: purpose 'nope'"),
            (#"{"files": [{"path": "a.txt", "purpose": "batch", "id": "../x"}]}"#, "files[0]: id '../x'"),
            (#"{"files": [{"path": "a.txt", "purpose": "batch", "colour": 1}]}"#, "files[0]: unknown field \"colour\""),
            (
                #"{"files": [{"path": "a.txt", "purpose": "batch", "id": "file-a"}, {"path": "a.txt", "purpose": "batch", "id": "file-a"}]}"#,
                "used twice"
            ),
            (#"{"nothing": []}"#, "needs a \"files\" array"),
        ]
        for (manifest, expected) in cases {
            let directory = try Self.fixtureDirectory(manifest, files: ["a.txt": "x"])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            #expect(performing: { try FixtureManifest(directory: directory) }, throws: { "\($0)".contains(expected) })
        }
    }
}
