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
        #expect(WildcardPattern("/v1/files*").matches("/v1/files"))
        #expect(WildcardPattern("/v1/files*").matches("/v1/files/file-1/content"))
        #expect(WildcardPattern("/v1/*/content").matches("/v1/files/file-1/content"))
        #expect(!WildcardPattern("/v1/files").matches("/v1/files/x"))
        #expect(!WildcardPattern("/v1/uploads*").matches("/v1/files"))
        #expect(WildcardPattern("*").matches("") && WildcardPattern("").matches("") && !WildcardPattern("").matches("a"))
        #expect(WildcardPattern("a*a").matches("aa") && !WildcardPattern("a*a").matches("a"))
        #expect(WildcardPattern("*abab*").matches("xabaabab") && !WildcardPattern("*abab*").matches("xabaaba"))
    }

    /// The linear matcher agrees with the plain recursive definition of `*` on every pair of short
    /// strings over a small alphabet (where overlaps, repeats and empty pieces all occur).
    @Test func globMatchingAgreesWithItsDefinition() {
        func reference(_ pattern: Substring, _ text: Substring) -> Bool {
            guard let first = pattern.first else { return text.isEmpty }
            if first == "*" { return reference(pattern.dropFirst(), text) || (!text.isEmpty && reference(pattern, text.dropFirst())) }
            return text.first == first && reference(pattern.dropFirst(), text.dropFirst())
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let pattern = String((0..<Int.random(in: 0...7, using: &generator)).map { _ in "ab*".randomElement(using: &generator)! })
            let text = String((0..<Int.random(in: 0...9, using: &generator)).map { _ in "ab".randomElement(using: &generator)! })
            #expect(WildcardPattern(pattern).matches(text) == reference(pattern[...], text[...]), "\(pattern) ~ \(text)")
        }
    }

    /// The shape that made the backtracking matcher quadratic (16 s for 20 paths of 60 KiB): each
    /// piece is found once, left to right, so 20 paths take as long as reading them.
    @Test func adversarialPatternsMatchInOnePass() {
        let pattern = WildcardPattern(String(repeating: "*a", count: 1000) + "*b")
        let path = "/" + String(repeating: "a", count: 60 * 1024)
        for _ in 0..<20 { #expect(!pattern.matches(path)) }
        #expect(pattern.matches(path + "b"))
    }
}

/// What an operator can pile up is bounded, and fault rules stay on the API they are for.
@Suite struct ControlBoundsTests {
    @Test func atMostAThousandFaultRules() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for index in 0..<FaultRule.maxRules {
                _ = try await server.server.controls.addFault { id in
                    try FaultRule(json: JSONBody(fields: ["path": "/v1/n\(index)", "status": 500]), id: id)
                }
            }
            let (status, answer) = try await client.postJSON("/admin/faults", ["path": "/v1/x", "status": 500])
            #expect(status == .badRequest && (answer["error"] as? [String: Any])?["code"] as? String == "too_many_fault_rules", "\(answer)")
            try await client.execute(uri: "/admin/faults", method: .delete) { #expect($0.status == .ok) }
            #expect(try await client.postJSON("/admin/faults", ["path": "/v1/x", "status": 500]).0 == .ok)
        }
    }

    @Test func patternsAndRuleTextsAreBounded() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let long = String(repeating: "*a", count: 1025)
            for (rule, param) in [
                (["path": long, "status": 500], "path"),
                (["path": "/v1/x", "status": 500, "error": ["message": String(repeating: "m", count: 5000)]], "error.message"),
                (["path": "/v1/x", "status": 500, "headers": ["x-a": "1\r\nx-b: 2"]], "headers"),
                (["path": "/v1/x", "status": 500, "method": "GET /"], "method"),
                (["path": "/v1/x", "status": 9_223_372_036_854_775_807], "status"),
            ] as [([String: Any], String)] {
                let (status, answer) = try await client.postJSON("/admin/faults", rule)
                #expect(status == .badRequest && (answer["error"] as? [String: Any])?["param"] as? String == param, "\(answer)")
            }
            let encoded = long.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for uri in ["/admin/requests?path=\(encoded)", "/admin/files?filename=\(String(repeating: "%3F", count: 17_000))"] {
                let (status, answer) = try await client.getJSON(uri)
                #expect(status == .badRequest, "\(uri.prefix(40)): \(answer)")
            }
            let (status, answer) = try await client.postJSON("/admin/verify", ["path": long])
            #expect(status == .badRequest, "\(answer)")
        }
    }

    /// A `*` rule once also answered the dashboard that removes it, /health and /metrics.
    @Test func faultRulesApplyToTheAPIOnly() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let uris = ["/health", "/metrics", "/openapi.yaml", "/ui/controls", "/admin/clock"]
            var before: [HTTPResponse.Status] = []
            for uri in uris { before.append(try await client.execute(uri: uri, method: .get) { $0.status }) }
            _ = try await client.postJSON("/admin/faults", ["path": "*", "status": 503])
            // Each answers exactly as it did before the rule was armed (not merely "not 503").
            for (uri, status) in zip(uris, before) {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == status && status != .serviceUnavailable, "\(uri)") }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v1", method: .get, headers: testKeyHeaders) { #expect($0.status == .serviceUnavailable) }
        }
    }

    /// Alone, the clock and the rules are kept in the data directory: a server started on it again
    /// takes them up (as several instances do from their shared database).
    @Test func theClockAndRulesOutliveARestart() async throws {
        let first = try TestServer()
        defer { first.remove() }
        try await first.test { client in
            _ = try await client.postJSON("/admin/clock", ["now": 1_800_000_000])
            _ = try await client.postJSON("/admin/faults", ["path": "/v1/files", "status": 500, "times": 2])
            try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { #expect($0.status == .internalServerError) }
        }
        let second = try TestServer(directory: first.directory)
        try await second.server.controls.loadSavedControls()
        #expect(second.clock.isFrozen && second.clock.seconds == 1_800_000_000)
        let rules = try await second.server.controls.faultRules()
        #expect(rules.count == 1 && rules.first?.remaining == 1 && rules.first?.fired == 1)
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
