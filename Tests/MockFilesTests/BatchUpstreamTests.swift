import Foundation
import Testing

@testable import MockFiles

/// The pieces of the batch upstream that need no network: a line's `body` found as written, an
/// answer put in the result lines' layout, an outcome turned into a line, the settings' checks,
/// and a batch held in its last stage until an upstream's files are made. The exchanges
/// themselves are tested against a real server (tests/acceptance/test_batches_upstream.py).
@Suite struct BatchUpstreamTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func theBodyMemberIsFoundAsWrittenWhateverComesAroundIt() {
        let line = Self.bytes(#"{"custom_id": "body", "body" :  {"model": "m", "t": 0.70, "s": "a\"}b", "n": [1, {"body": 2}]} , "url": "/v1/x"}"#)
        let body = RawJSON.member("body", in: line).map { String(decoding: $0, as: UTF8.self) }
        #expect(body == #"{"model": "m", "t": 0.70, "s": "a\"}b", "n": [1, {"body": 2}]}"#)
        #expect(RawJSON.member("url", in: line).map { String(decoding: $0, as: UTF8.self) } == #""/v1/x""#)
        #expect(RawJSON.member("method", in: line) == nil)
        // A key nested deeper is not the line's.
        #expect(RawJSON.member("model", in: line) == nil)
    }

    @Test func aPrettyAnswerBecomesOneSpacedLineWithItsKeysAndNumbersAsSent() {
        let pretty = "{\n  \"z\": 1.50,\n  \"a\": [1,2 , {}],\n  \"s\": \"x , y:\\\" z\"\n}"
        #expect(String(decoding: RawJSON.spaced(Self.bytes(pretty)), as: UTF8.self) == #"{"z": 1.50, "a": [1, 2, {}], "s": "x , y:\" z"}"#)
    }

    @Test func anAnswerThatIsNotJSONIsKeptAsAString() {
        let answer = BatchLineAnswer(upstreamStatus: 502, body: Self.bytes("<html>\"bad\"\n</html>"))
        #expect(answer.statusCode == 502)
        #expect(String(decoding: answer.body, as: UTF8.self) == #""<html>\"bad\"\n</html>""#)
        let empty = BatchLineAnswer(upstreamStatus: 500, body: [])
        #expect(String(decoding: empty.body, as: UTF8.self) == #""""#)
    }

    @Test func aSuccessfulAnswerCountsItsUsage() {
        let body = #"{"usage": {"prompt_tokens": 7, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 2}}}"#
        #expect(BatchLineAnswer(upstreamStatus: 200, body: Self.bytes(body)).usage == BatchUsage(inputTokens: 7, outputTokens: 3, cachedTokens: 2))
        #expect(BatchLineAnswer(upstreamStatus: 400, body: Self.bytes(body)).usage == BatchUsage())
    }

    @Test func noAnswerIsAnErrorWithoutAResponse() throws {
        guard case .unanswered(let timeout) = BatchUpstreamClient.Outcome.timedOut.answer(timeoutSeconds: 1.5) else {
            Issue.record("a timeout is no answer")
            return
        }
        #expect(timeout.code == "request_timeout" && timeout.message.contains("1.5 s"))
        guard case .unanswered(let dropped) = BatchUpstreamClient.Outcome.failed("closed").answer(timeoutSeconds: 60) else {
            Issue.record("a dropped connection is no answer")
            return
        }
        #expect(dropped.code == "upstream_error" && dropped.message == "closed")
    }

    @Test func theURLMustBeAnHTTPRootWithoutCredentialsOrQuery() throws {
        #expect(try BatchUpstream(url: "http://127.0.0.1:11434/").url == "http://127.0.0.1:11434")
        #expect(try BatchUpstream(url: "https://models.example/prefix").url == "https://models.example/prefix")
        for bad in ["ftp://h", "h:80", "", "http://", "http://h?x=1", "http://h#f", "http://u:p@h"] {
            #expect(throws: SettingsError.self) { try BatchUpstream(url: bad) }
        }
        var upstream = try BatchUpstream(url: "http://h")
        upstream.concurrency = 0
        #expect(throws: SettingsError.self) { try upstream.validate() }
        upstream.concurrency = 8
        upstream.timeoutSeconds = 0
        #expect(throws: SettingsError.self) { try upstream.validate() }
    }

    @Test func theKeyIsNeverInADescription() throws {
        var settings = BatchService.Settings()
        settings.upstream = try BatchUpstream(url: "http://h", apiKey: "sk-secret-key")
        for text in [String(describing: settings), String(reflecting: settings), "\(settings.upstream!)"] {
            #expect(!text.contains("sk-secret-key") && text.contains("http://h"), "\(text)")
        }
    }

    @Test func aBatchAwaitingItsFilesReportsTheStageBeforeItsEnd() {
        var state = BatchLifecycle.State(status: .completed)
        state.finalizingAt = 10
        state.completedAt = 11
        let held = state.awaitingResults
        #expect(held.status == .finalizing && held.completedAt == nil && held.finalizingAt == 10)
        #expect(BatchLifecycle.State(status: .expired).awaitingResults.status == .finalizing)
        #expect(BatchLifecycle.State(status: .cancelled).awaitingResults.status == .cancelling)
        #expect(BatchLifecycle.State(status: .inProgress).awaitingResults.status == .inProgress)
    }
}
