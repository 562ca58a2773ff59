import Foundation
import HTTPTypes
import Testing

@testable import MockFiles

/// Batch rules (issue 33, item 4): what the API takes and refuses, how a rule matches lines, the
/// answers it gives, and that the stored form reads back as the same rule.
@Suite struct BatchRuleTests {
    static func rule(_ json: String, id: String = "batchrule_1") throws -> BatchRule {
        let fields = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return try BatchRule(json: JSONBody(fields: fields), id: id)
    }

    static func refusal(_ json: String) -> APIError? {
        do {
            _ = try rule(json)
            return nil
        } catch {
            return error as? APIError
        }
    }

    static func line(_ body: String, customID: String = "q1", index: Int64 = 0) -> BatchInputLine {
        let parsed = try! JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        return BatchInputLine(index: index, line: index + 1, customID: customID, body: parsed, model: parsed["model"] as? String)
    }

    @Test func eachWrongRuleIsRefusedNamingItsField() {
        let cases: [(String, String?)] = [
            (#"{}"#, nil),
            (#"{"answer": {"body": {}}, "fail": true}"#, nil),
            (#"{"match": {"custom_id": "a*"}, "fail": true}"#, "match.custom_id"),
            (#"{"match": {"body": {"x": 1}}, "schedule": {"line_ms": 1}}"#, "match.body"),
            (#"{"match": {"colour": "red"}, "delay_ms": 1}"#, "match.colour"),
            (#"{"delay_ms": -1}"#, "delay_ms"),
            (#"{"delay_ms": 86400001}"#, "delay_ms"),
            (#"{"error": {"status_code": 200}}"#, "error.status_code"),
            (#"{"error": {"status_code": 429, "body": {}, "message": "m"}}"#, "error.body"),
            (#"{"answer": {"body": {}}, "error": {"status_code": 500}}"#, "error"),
            (#"{"answer": {"body": [1]}}"#, "answer.body"),
            (#"{"fail": false}"#, "fail"),
            (#"{"fail": {"errors": []}}"#, "fail.errors"),
            (#"{"fail": {"errors": [{"code": "c"}]}}"#, "fail.errors[0].message"),
            (#"{"fail": true, "expire_after_lines": 2}"#, "expire_after_lines"),
            (#"{"expire_after_lines": -1}"#, "expire_after_lines"),
            (#"{"schedule": {}}"#, "schedule"),
            (#"{"schedule": {"line_ms": 86400001}}"#, "schedule.line_ms"),
            (#"{"match": {"metadata": {"k": 1}}, "fail": true}"#, "match.metadata"),
            (#"{"colour": "red", "fail": true}"#, "colour"),
        ]
        for (json, param) in cases {
            let error = Self.refusal(json)
            #expect(error?.status == .badRequest, "\(json)")
            #expect(error?.param == param, "\(json)")
        }
        let tooManyErrors =
            "{\"fail\": {\"errors\": [" + Array(repeating: #"{"code": "c", "message": "m"}"#, count: 101).joined(separator: ",") + "]}}"
        #expect(Self.refusal(tooManyErrors)?.param == "fail.errors")
    }

    @Test func theStoredFormReadsBackAsTheSameRules() throws {
        let rules = [
            try Self.rule(
                #"{"match": {"custom_id": "q*", "model": "gpt-4o*", "body": {"temperature": 0, "metadata": {"k": "v"}}}, "answer": {"body": {"b": [1, 2.5, null, true]}}, "delay_ms": 5}"#,
                id: "batchrule_3"
            ),
            try Self.rule(#"{"error": {"status_code": 429, "message": "slow down", "code": "rate_limit_exceeded"}}"#, id: "batchrule_4"),
            try Self.rule(#"{"match": {"metadata": {"scenario": "fail"}}, "fail": {"errors": [{"code": "c", "message": "m", "line": 3}]}}"#),
            try Self.rule(#"{"match": {"endpoint": "/v1/embeddings"}, "cancel_after_lines": 0, "schedule": {"cancelling_ms": 7}}"#),
        ]
        let text = try BatchRule.storedText(of: rules)
        #expect(try BatchRule.rules(storedText: text) == rules)
    }

    @Test func aLineRuleMatchesByGlobsAndAPartOfTheBody() throws {
        let rules = BatchLineRules([
            try Self.rule(#"{"match": {"custom_id": "slow-*"}, "delay_ms": 100}"#, id: "batchrule_1"),
            try Self.rule(
                #"{"match": {"model": "gpt-4o*", "body": {"metadata": {"kind": "x"}, "n": 1}}, "error": {"status_code": 500}}"#,
                id: "batchrule_2"
            ),
            try Self.rule(#"{"match": {"body": {"tags": ["a", "b"]}}, "answer": {"body": {"ok": true}}}"#, id: "batchrule_3"),
        ])
        #expect(rules.deciding(Self.line(#"{"model": "m"}"#, customID: "slow-1"))?.id == "batchrule_1")
        #expect(rules.deciding(Self.line(#"{"model": "m"}"#, customID: "Slow-1")) == nil)
        // A part of the body: more members may be there; 1.0 is 1; an array must be equal whole.
        #expect(rules.deciding(Self.line(#"{"model": "gpt-4o-mini", "n": 1.0, "metadata": {"kind": "x", "more": 1}}"#))?.id == "batchrule_2")
        #expect(rules.deciding(Self.line(#"{"model": "gpt-4o-mini", "n": true, "metadata": {"kind": "x"}}"#)) == nil)
        #expect(rules.deciding(Self.line(#"{"model": "o3", "n": 1, "metadata": {"kind": "x"}}"#)) == nil)
        #expect(rules.deciding(Self.line(#"{"tags": ["a", "b"]}"#))?.id == "batchrule_3")
        #expect(rules.deciding(Self.line(#"{"tags": ["a", "b", "c"]}"#)) == nil)
        #expect(rules.deciding(Self.line(#"{"tags": ["b", "a"]}"#)) == nil)
    }

    @Test func aRuleAppliesToTheBatchesItsMatchNames() throws {
        let rule = try Self.rule(#"{"match": {"endpoint": "/v1/embeddings", "metadata": {"scenario": "x"}}, "fail": true}"#)
        let tagged = [MetadataPair(key: "other", value: "1"), MetadataPair(key: "scenario", value: "x")]
        #expect(rule.applies(toEndpoint: "/v1/embeddings", inputFileID: "file-a", metadata: tagged))
        #expect(!rule.applies(toEndpoint: "/v1/chat/completions", inputFileID: "file-a", metadata: tagged))
        #expect(!rule.applies(toEndpoint: "/v1/embeddings", inputFileID: "file-a", metadata: nil))
        #expect(!rule.applies(toEndpoint: "/v1/embeddings", inputFileID: "file-a", metadata: [MetadataPair(key: "scenario", value: "X")]))
        // Exact bytes: a decomposed é is not the composed one.
        let composed = try Self.rule(#"{"match": {"metadata": {"name": "caf\u00e9"}}, "fail": true}"#)
        #expect(!composed.applies(toEndpoint: "/v1/embeddings", inputFileID: "f", metadata: [MetadataPair(key: "name", value: "cafe\u{301}")]))
    }

    @Test func theAnswersOfALineRule() throws {
        let fixed = try Self.rule(#"{"answer": {"body": {"id": "x", "usage": {"prompt_tokens": 7, "completion_tokens": 3}}}}"#).fixedAnswer
        #expect(fixed?.statusCode == 200)
        #expect(String(decoding: fixed?.body ?? [], as: UTF8.self) == #"{"id": "x", "usage": {"completion_tokens": 3, "prompt_tokens": 7}}"#)
        #expect(fixed?.usage == BatchUsage(inputTokens: 7, outputTokens: 3))
        let envelope = try Self.rule(#"{"error": {"status_code": 503}}"#, id: "batchrule_9").fixedAnswer
        #expect(envelope?.statusCode == 503)
        #expect(
            String(decoding: envelope?.body ?? [], as: UTF8.self)
                == #"{"error": {"message": "Error injected by mockfiles batch rule batchrule_9.", "type": "server_error", "param": null, "code": null}}"#
        )
        let given = try Self.rule(#"{"error": {"status_code": 400, "body": {"error": {"message": "no"}}}}"#).fixedAnswer
        #expect(given.map { String(decoding: $0.body, as: UTF8.self) } == #"{"error": {"message": "no"}}"#)
        #expect(try Self.rule(#"{"delay_ms": 10}"#).fixedAnswer == nil)
        // Validation's status without the body is the written answer's.
        #expect(try Self.rule(#"{"delay_ms": 10}"#).fixedStatusCode == nil)
        #expect(try Self.rule(#"{"error": {"status_code": 503}}"#).fixedStatusCode == envelope?.statusCode)
        #expect(try Self.rule(#"{"answer": {"body": {}}}"#).fixedStatusCode == fixed?.statusCode)
    }

    @Test func aRuleThatFailsABatchGivesItsErrorsOrTheDefault() throws {
        #expect(
            try Self.rule(#"{"fail": true}"#, id: "batchrule_2").failure == [
                BatchLineError(code: "invalid_request", message: "Batch failed by mockfiles batch rule batchrule_2.")
            ]
        )
        #expect(
            try Self.rule(#"{"fail": {"errors": [{"code": "c", "message": "m", "param": "p", "line": 4}]}}"#).failure == [
                BatchLineError(code: "c", message: "m", param: "p", line: 4)
            ]
        )
        var schedule = BatchLifecycleTests.schedule
        try Self.rule(#"{"expire_after_lines": 3, "schedule": {"line_ms": 5}}"#).adjust(&schedule)
        #expect(schedule.expireAfterLines == 3 && schedule.millisecondsPerLine == 5 && schedule.validatingMilliseconds == 1000)
    }
}
