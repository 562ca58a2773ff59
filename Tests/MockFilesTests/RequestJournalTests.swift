import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// The filters and near-miss ranking, on entries made by hand.
@Suite struct RequestFilterTests {
    static func entry(
        _ sequence: Int64,
        _ method: String,
        _ path: String,
        _ status: Int,
        tenant: String? = "org-a",
        at time: Double = 100
    ) -> RequestLogEntry {
        var entry = RequestLogEntry(
            requestID: "req_\(sequence)",
            instance: "test",
            method: method,
            path: path,
            status: status,
            tenant: tenant,
            durationMilliseconds: 1,
            timestamp: time
        )
        entry.sequence = sequence
        return entry
    }

    @Test func eachCriterionNamesItselfWhenItFails() throws {
        let filter = try RequestFilter(parameters: [
            "method": "post", "path": "/v1/files*", "status": "2xx", "tenant": "org-a", "since": "100", "until": "200",
        ])
        #expect(filter.failures(Self.entry(1, "POST", "/v1/files", 200)).isEmpty)
        #expect(filter.failures(Self.entry(2, "GET", "/v1/uploads", 404, at: 200)) == ["method", "path", "status", "until"])
        #expect(filter.failures(Self.entry(3, "POST", "/v1/files", 201, tenant: nil, at: 99.5)) == ["tenant", "since"])
        #expect(try RequestFilter(parameters: ["status": "404"]).failures(Self.entry(4, "GET", "/", 405)) == ["status"])
    }

    @Test func identitiesAreExactBytes() throws {
        // "é" composed and decomposed: equal as Swift strings, different tenants.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let filter = try RequestFilter(parameters: ["tenant": composed])
        #expect(filter.matches(Self.entry(1, "GET", "/v1/files", 200, tenant: composed)))
        #expect(!filter.matches(Self.entry(2, "GET", "/v1/files", 200, tenant: decomposed)))
    }

    @Test(arguments: [
        ("status", "4x"), ("status", "6xx"), ("status", "99"), ("since", "soon"), ("until", "nan"), ("api_key_hint", "abcde"),
    ])
    func malformedCriteriaAreRefusedByName(name: String, value: String) {
        #expect(throws: APIError.self) { try RequestFilter(parameters: [name: value]) }
        do {
            _ = try RequestFilter(parameters: [name: value])
        } catch let error as APIError {
            #expect(error.param == name && error.status == .badRequest)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nearMissesAreTheFewestFailuresNewestFirst() throws {
        // Newest first, as the log hands them over.
        let journal = RequestJournal(
            entries: [
                Self.entry(5, "GET", "/v1/files", 200),
                Self.entry(4, "POST", "/v1/files", 400),
                Self.entry(3, "GET", "/v1/uploads", 404),
                Self.entry(2, "POST", "/v1/files", 500),
                Self.entry(1, "POST", "/v1/files", 201),
            ],
            dropped: 0
        )
        let filter = try RequestFilter(parameters: ["method": "POST", "path": "/v1/files", "status": "200"])
        let misses = journal.nearMisses(filter, limit: 3)
        #expect(misses.map(\.entry.sequence) == [5, 4, 2], "one failure each, newest first, before the two-failure entry 3")
        #expect(misses.map(\.failed) == [["method"], ["status"], ["status"]])
    }

    @Test func pagesFollowTheCursorBothWays() throws {
        let journal = RequestJournal(entries: (1...7).reversed().map { Self.entry(Int64($0), "GET", "/v1/files", 200) }, dropped: 0)
        let all = RequestFilter()
        let first = journal.page(all, limit: 3, after: nil, ascending: false)
        #expect(first.entries.map(\.sequence) == [7, 6, 5] && first.hasMore)
        let second = journal.page(all, limit: 3, after: 5, ascending: false)
        #expect(second.entries.map(\.sequence) == [4, 3, 2] && second.hasMore)
        let last = journal.page(all, limit: 3, after: 2, ascending: false)
        #expect(last.entries.map(\.sequence) == [1] && !last.hasMore)
        let oldest = journal.page(all, limit: 4, after: 3, ascending: true)
        #expect(oldest.entries.map(\.sequence) == [4, 5, 6, 7] && !oldest.hasMore)
    }

    @Test func theRingCountsWhatItDrops() {
        let log = RequestLog(capacity: 3)
        for index in 1...5 { log.append(Self.entry(0, "GET", "/v1/files/\(index)", 200)) }
        let journal = log.journal()
        #expect(journal.entries.map(\.sequence) == [5, 4, 3] && journal.dropped == 2)
        #expect(log.clear() == 3)
        log.append(Self.entry(0, "GET", "/v1/files", 200))
        #expect(log.journal().entries.map(\.sequence) == [6] && log.journal().dropped == 0, "numbering goes on after a clear")
    }
}

/// The journal as the admin API serves it, fed by real requests.
@Suite struct RequestJournalAPITests {
    @Test func entriesCarryContentTypeFieldsErrorAndKeyHint() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile(), key: "sk-journal-1234")["id"] as? String)
            // A purpose the API refuses: the entry keeps the error's code and param.
            let refusedForm = MultipartBody.createFile(purpose: "nope")
            try await client.execute(
                uri: "/v1/files",
                method: .post,
                headers: headers(key: "sk-journal-1234", [.contentType: refusedForm.contentType]),
                body: ByteBuffer(bytes: refusedForm.finished())
            ) { #expect($0.status == .badRequest) }
            _ = try await client.getJSON("/v1/files/\(id)", key: "abc")
            let (_, log) = try await client.getJSON("/admin/requests")
            let entries = try #require(log["data"] as? [[String: Any]])
            try #require(entries.count == 3)
            let created = entries[2]
            #expect((created["content_type"] as? String)?.hasPrefix("multipart/form-data; boundary=") == true)
            #expect(created["multipart_fields"] as? [String] == ["purpose", "file"])
            #expect(created["api_key_hint"] as? String == "1234" && created["error"] is NSNull && created["object_id"] as? String == id)
            let refused = try #require(entries[1]["error"] as? [String: Any], "\(entries[1])")
            #expect(refused["param"] as? String == "purpose" && refused["type"] as? String == "invalid_request_error")
            #expect(refused.keys.contains("code") && refused["code"] is NSNull, "every key present, as in the envelope")
            #expect(entries[0]["api_key_hint"] is NSNull, "a 3-character key would be all of it")
            #expect(entries[0]["content_type"] is NSNull && entries[0]["multipart_fields"] is NSNull)
            #expect(log["dropped"] as? Int == 0 && log["has_more"] as? Bool == false)
        }
    }

    @Test func queriesFilterAndPage() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for _ in 0..<3 { _ = try await client.createFile(.createFile()) }
            for _ in 0..<2 { _ = try await client.getJSON("/v1/files/file-missing") }
            let (_, missing) = try await client.getJSON("/admin/requests?status=4xx&path=/v1/files/*")
            let misses = try #require(missing["data"] as? [[String: Any]])
            #expect(misses.count == 2 && misses.allSatisfy { $0["status"] as? Int == 404 })
            let (_, page) = try await client.getJSON("/admin/requests?method=post&limit=2")
            let posts = try #require(page["data"] as? [[String: Any]])
            #expect(posts.count == 2 && page["has_more"] as? Bool == true)
            let cursor = try #require(posts[1]["seq"] as? Int)
            let (_, rest) = try await client.getJSON("/admin/requests?method=POST&limit=2&after=\(cursor)")
            #expect((rest["data"] as? [[String: Any]])?.count == 1 && rest["has_more"] as? Bool == false)
            let (status, refused) = try await client.getJSON("/admin/requests?stauts=404")
            #expect(status == .badRequest && (refused["error"] as? [String: Any])?["param"] as? String == "stauts")
        }
    }

    @Test func verifyCountsAndExplainsAMiss() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            _ = try await client.createFile(.createFile())
            _ = try await client.getJSON("/v1/files/file-missing")
            let (passed, body) = try await client.postJSON("/admin/verify", ["method": "POST", "path": "/v1/files", "count": 1])
            #expect(passed == .ok && body["matched"] as? Int == 1 && body["dropped"] as? Int == 0)
            let (failed, report) = try await client.postJSON("/admin/verify", ["method": "GET", "path": "/v1/files/*", "status": 200])
            #expect(failed == .conflict && report["matched"] as? Int == 0)
            let error = try #require(report["error"] as? [String: Any])
            #expect(error["code"] as? String == "verification_failed")
            #expect((error["message"] as? String)?.contains("GET /v1/files/file-missing → 404 (differs in status)") == true)
            let misses = try #require(report["near_misses"] as? [[String: Any]])
            #expect(misses.first?["failed"] as? [String] == ["status"])
            #expect(((misses.first?["request"] as? [String: Any])?["status"] as? Int) == 404)
            let (tooMany, excess) = try await client.postJSON("/admin/verify", ["path": "/v1/files*", "at_most": 1])
            #expect(tooMany == .conflict && (excess["matches"] as? [Any])?.count == 2 && (excess["near_misses"] as? [Any])?.isEmpty == true)
            for bad: [String: Any] in [
                ["count": 1, "at_least": 1], ["at_least": 3, "at_most": 2], ["count": -1], ["statuz": 200], ["status": true],
            ] {
                #expect(try await client.postJSON("/admin/verify", bad).0 == .badRequest, "\(bad)")
            }
        }
    }

    @Test func aFullLogSaysHowManyItDropped() async throws {
        let server = try TestServer { $0.requestLogCapacity = 4 }
        defer { server.remove() }
        try await server.test { client in
            for _ in 0..<6 { _ = try await client.getJSON("/v1/files") }
            let (_, log) = try await client.getJSON("/admin/requests")
            #expect((log["data"] as? [Any])?.count == 4 && log["dropped"] as? Int == 2)
            let (_, verified) = try await client.postJSON("/admin/verify", ["path": "/v1/files", "count": 4])
            #expect(verified["dropped"] as? Int == 2)
            _ = try await client.postJSON("/admin/reset", [:])
            #expect(try await client.getJSON("/admin/requests").1["dropped"] as? Int == 0)
        }
    }
}
