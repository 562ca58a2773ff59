import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// `/ui/batches` and the Controls page's batch rules: read and changed through `BatchService` and
/// `TestControls` as the API and the admin API are, each write behind the CSRF token (and a cancel
/// behind its tick), every stored value shown as text.
@Suite struct DashboardBatchesTests {
    typealias Page = DashboardTests

    static func batch(_ client: any TestClientProtocol, metadata: [String: String] = [:]) async throws -> String {
        let input = try await SnapshotBatchesTests.input(client, [SnapshotBatchesTests.chat("a")])
        let (status, batch) = try await client.postJSON(
            "/v1/batches",
            ["input_file_id": input, "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": metadata]
        )
        #expect(status == .ok, "\(batch)")
        return try #require(batch["id"] as? String)
    }

    static func status(_ client: any TestClientProtocol, _ id: String) async throws -> String? {
        try await client.getJSON("/v1/batches/\(id)").1["status"] as? String
    }

    @Test func aCancelTakesTheTokenAndTheTickAndAFinishedBatchAnswersWithTheAPIsWords() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try await Self.batch(client)
            let (listed, list, _) = try await Page.page(client, "/ui/batches?tenant=shared")
            #expect(listed == .ok && list.contains(id) && list.contains(">validating<"))
            let (shown, page, _) = try await Page.page(client, "/ui/batches/\(id)?tenant=shared")
            #expect(shown == .ok && page.contains("action=\"/ui/batches/\(id)/cancel\""))
            #expect(try await Page.page(client, "/ui/batches/\(id)?tenant=elsewhere").0 == .notFound)
            let csrf = try Page.csrf(in: page)
            let cancel = "/ui/batches/\(id)/cancel"
            #expect(try await Page.form(client, cancel, ["tenant": "shared", "confirm": "yes", "csrf": "0"]).0 == .forbidden)
            #expect(try await Page.form(client, cancel, ["tenant": "shared", "csrf": csrf]).0 == .seeOther)
            #expect(try await Page.form(client, cancel, ["tenant": "elsewhere", "confirm": "yes", "csrf": csrf]).0 == .notFound)
            #expect(try await Self.status(client, id) == "validating")
            #expect(try await Page.form(client, cancel, ["tenant": "shared", "confirm": "yes", "csrf": csrf]).0 == .seeOther)
            #expect(try await Self.status(client, id) == "cancelling")

            let finished = try await Self.batch(client)
            _ = try await client.postJSON("/admin/clock", ["advance_seconds": 60])
            let (refused, _, headers) = try await Page.form(
                client,
                "/ui/batches/\(finished)/cancel",
                ["tenant": "shared", "confirm": "yes", "csrf": csrf]
            )
            let location = try #require(headers[.location]?.removingPercentEncoding)
            #expect(refused == .seeOther && location.hasSuffix("notice=Cannot cancel a batch with status 'completed'."), "\(location)")
            let (_, after, _) = try await Page.page(client, "/ui/batches/\(finished)?tenant=shared")
            #expect(!after.contains("/cancel\"") && after.contains("<td id=\"status\">completed</td>"))
        }
    }

    @Test func metadataIsShownAsTextNeverAsMarkup() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try await Self.batch(client, metadata: ["<i>k</i>": "<img src=x onerror=alert(1)>"])
            let (_, page, _) = try await Page.page(client, "/ui/batches/\(id)?tenant=shared")
            #expect(!page.contains("<img src=x") && !page.contains("<i>k</i>"))
            #expect(page.contains("&lt;i&gt;k&lt;/i&gt;") && page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    @Test func aBatchRuleFromTheControlsPageIsReadAsTheAdminAPIReadsIt() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let csrf = try Page.csrf(in: try await Page.page(client, "/ui/controls").1)
            for rule in [#"{"fail": true, "cancel_after_lines": 1}"#, "[1]", #"{"delay_ms": 86400001}"#] {
                let (formStatus, formAnswer, _) = try await Page.form(client, "/ui/batch-rules", ["rule": rule, "csrf": csrf])
                let (apiStatus, apiAnswer) = try await client.execute(
                    uri: "/admin/batch-rules",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: rule)
                ) { ($0.status, String(buffer: $0.body)) }
                #expect(formStatus == .badRequest && formStatus == apiStatus && formAnswer == apiAnswer, "\(rule): \(formAnswer)")
            }
            #expect(try await Page.form(client, "/ui/batch-rules", ["rule": #"{"fail": true}"#, "csrf": "0"]).0 == .forbidden)
            let (added, _, headers) = try await Page.form(
                client,
                "/ui/batch-rules",
                ["rule": #"{"match": {"endpoint": "/v1/embeddings"}, "fail": true}"#, "csrf": csrf]
            )
            #expect(added == .seeOther && headers[.location]?.contains("batchrule_1") == true)
            let (_, controls, _) = try await Page.page(client, "/ui/controls")
            #expect(controls.contains("/ui/batch-rules/batchrule_1/delete") && controls.contains("&quot;endpoint&quot;:&quot;/v1/embeddings&quot;"))
            #expect(try await Page.form(client, "/ui/batch-rules/clear", ["csrf": csrf]).0 == .seeOther)
            #expect(try await server.server.controls.listBatchRules().count == 1, "no tick, nothing cleared")
            #expect(try await Page.form(client, "/ui/batch-rules/batchrule_1/delete", ["csrf": csrf]).0 == .seeOther)
            #expect(try await server.server.controls.listBatchRules().isEmpty)
        }
    }
}
