import Foundation
import Testing

@testable import MockFiles

/// The answers of batch lines: the recorded objects' keys and order (docs/batches-evidence.md,
/// section 7), bytes that repeat for a seed, the token rule, vectors, and the endpoints' 400s.
@Suite struct BatchAnswersTests {
    static let created: Int64 = 1_770_950_813

    struct Answered {
        var answer: BatchLineAnswer
        var text: String
        var object: [String: Any]
    }

    static func answer(_ endpoint: String, _ body: [String: Any], seed: String = "batch_test/1") throws -> Answered {
        let answer = BatchAnswers.answer(endpoint: endpoint, body: body, seed: seed, created: created)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        return Answered(answer: answer, text: String(decoding: answer.body, as: UTF8.self), object: object)
    }

    /// Whether each `"key": ` occurs in `text` after the one before it.
    static func keysInOrder(_ text: String, _ keys: [String]) -> Bool {
        var rest = text[...]
        for key in keys {
            guard let range = rest.range(of: "\"\(key)\": ") else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: "^" + pattern + "$", options: .regularExpression) != nil
    }

    static var hello: [String: Any] { ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "Hello, world!"]]] }

    // MARK: Chat completions

    /// "Hello, world!" is 11 prompt tokens by the rule, as the service counted it in
    /// ChatTests/HelloWorldChat; the answer's 56 bytes are 14.
    @Test func aChatCompletionIsTheRecordedObjectInPythonsLayout() throws {
        let answered = try Self.answer("/v1/chat/completions", Self.hello)
        let id = try #require(answered.object["id"] as? String)
        let fingerprint = try #require(answered.object["system_fingerprint"] as? String)
        #expect(Self.matches(id, "chatcmpl-[0-9A-Za-z]{29}"))
        #expect(Self.matches(fingerprint, "fp_[0-9a-f]{10}"))
        let expected =
            #"{"id": "\#(id)", "object": "chat.completion", "created": 1770950813, "model": "gpt-4o-mini-2024-07-18", "#
            + #""choices": [{"index": 0, "message": {"role": "assistant", "content": "This is a mock answer from mockfiles to: \"Hello, world!\"", "#
            + #""refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 11, "#
            + #""completion_tokens": 14, "total_tokens": 25, "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}, "#
            + #""completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "#
            + #""rejected_prediction_tokens": 0}}, "service_tier": "default", "system_fingerprint": "\#(fingerprint)"}"#
        #expect(answered.text == expected)
        #expect(answered.answer.statusCode == 200)
        #expect(answered.answer.usage == BatchUsage(inputTokens: 11, outputTokens: 14))
    }

    @Test func theSameSeedGivesTheSameBytesAndAnotherSeedOtherIds() throws {
        for endpoint in ["/v1/chat/completions", "/v1/responses", "/v1/completions", "/v1/moderations", "/v1/videos"] {
            let body: [String: Any] = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "Hi"]], "input": "Hi", "prompt": "Hi"]
            let first = try Self.answer(endpoint, body, seed: "batch_a/1")
            let again = try Self.answer(endpoint, body, seed: "batch_a/1")
            let other = try Self.answer(endpoint, body, seed: "batch_a/2")
            #expect(first.answer.body == again.answer.body, "\(endpoint)")
            #expect(first.object["id"] as? String != other.object["id"] as? String, "\(endpoint)")
        }
    }

    @Test func theAnswerQuotesTheLastUserMessageSoLinesDiffer() throws {
        let body: [String: Any] = [
            "model": "gpt-4o",
            "messages": [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": [["type": "text", "text": "one two three four five six seven eight nine ten"]]],
            ],
        ]
        let answered = try Self.answer("/v1/chat/completions", body)
        let message = try #require((answered.object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
        #expect(message["content"] as? String == "This is a mock answer from mockfiles to: \"one two three four five six seven eight …\"")
        // 3 + (4 + ceil(9 / 4)) + (4 + ceil(48 / 4)) = 26.
        #expect(answered.answer.usage.inputTokens == 26)
        #expect(answered.object["model"] as? String == "gpt-4o-2024-08-06")
    }

    /// The quote stops reading after the ninth word starts; it splits as `split(whereSeparator:)`
    /// on whitespace and newlines did (no empty words, a trailing space is no ninth word).
    @Test func theQuoteReadsOnlyTheFirstWords() {
        let cases: [(String, [String], Bool)] = [
            ("", [], false), ("  \n\t ", [], false), ("one", ["one"], false),
            ("  a\u{2003}b\r\nc  ", ["a", "b", "c"], false),
            ("1 2 3 4 5 6 7 8", ["1", "2", "3", "4", "5", "6", "7", "8"], false),
            ("1 2 3 4 5 6 7 8 \n ", ["1", "2", "3", "4", "5", "6", "7", "8"], false),
            ("1 2 3 4 5 6 7 8 9", ["1", "2", "3", "4", "5", "6", "7", "8"], true),
            ("é 2 3 4 5 6 7 e\u{301}  " + String(repeating: "x ", count: 100_000), ["é", "2", "3", "4", "5", "6", "7", "e\u{301}"], true),
            ("a\r\nb\u{1C}c\u{0B}d\u{0C}e", ["a", "b\u{1C}c", "d", "e"], false),
            ("1 2 3 4 5 6 7 8\u{301} 9", ["1", "2", "3", "4", "5", "6", "7", "8\u{301}"], true),
            ("1 2 3 4 5 6 7 8 9\u{301}", ["1", "2", "3", "4", "5", "6", "7", "8"], true),
            ("1 2 3 4 5 6 7 8\u{A0}9 10", ["1", "2", "3", "4", "5", "6", "7", "8"], true),
        ]
        for (text, words, more) in cases {
            let found = BatchAnswers.firstWords(8, of: text)
            #expect(found.words.map(String.init) == words, "\(text.prefix(40))")
            #expect(found.more == more, "\(text.prefix(40))")
            let split = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            #expect(Array(split.prefix(8)) == found.words && (split.count > 8) == found.more)
        }
        // A combining mark after a separator byte joins it into one character: the bytes alone cannot tell.
        for text in ["1 2 3 4 5 6 7 8 \u{301}9", "a \u{301}b", "1 2 3 4 5 6 7 8 9 \u{301}"] {
            let split = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            let found = BatchAnswers.firstWords(8, of: text)
            #expect(Array(split.prefix(8)) == found.words && (split.count > 8) == found.more, "\(text)")
        }
    }

    @Test func maxTokensCutTheAnswerAndFinishWithLength() throws {
        var body = Self.hello
        body["max_completion_tokens"] = 3
        body["n"] = 2
        let answered = try Self.answer("/v1/chat/completions", body)
        let choices = try #require(answered.object["choices"] as? [[String: Any]])
        #expect(choices.count == 2)
        #expect(choices.map { $0["finish_reason"] as? String } == ["length", "length"])
        #expect((choices[0]["message"] as? [String: Any])?["content"] as? String == "This is a mo")
        let usage = try #require(answered.object["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == 6)
        #expect(answered.answer.usage.outputTokens == 6)
    }

    @Test func oSeriesChoicesHaveNoLogprobsKey() throws {
        let answered = try Self.answer("/v1/chat/completions", ["model": "o3-mini", "messages": [["role": "user", "content": "x"]]])
        #expect(!answered.text.contains("\"logprobs\""))
        #expect(answered.object["model"] as? String == "o3-mini-2025-01-31")
    }

    @Test func aChatBodyTheEndpointRefusesAnswers400WithTheServiceEnvelope() throws {
        let missing = try Self.answer("/v1/chat/completions", ["model": "gpt-4o-mini"])
        #expect(missing.answer.statusCode == 400)
        #expect(
            missing.text
                == #"{"error": {"message": "Missing required parameter: 'messages'.", "type": "invalid_request_error", "param": "messages", "code": "missing_required_parameter"}}"#
        )
        #expect(missing.answer.usage == BatchUsage())
        let noModel = try Self.answer("/v1/chat/completions", ["messages": [["role": "user", "content": "x"]]])
        #expect(
            noModel.text
                == #"{"error": {"message": "you must provide a model parameter", "type": "invalid_request_error", "param": null, "code": null}}"#
        )
        let badModel = try Self.answer("/v1/chat/completions", ["model": 4, "messages": [["role": "user", "content": "x"]]])
        #expect(
            (badModel.object["error"] as? [String: Any])?["message"] as? String
                == "Invalid type for 'model': expected a string, but got an integer instead."
        )
        let flag = try #require(try JSONSerialization.jsonObject(with: Data(#"{"model": true, "messages": []}"#.utf8)) as? [String: Any])
        #expect(
            (try Self.answer("/v1/chat/completions", flag).object["error"] as? [String: Any])?["message"] as? String
                == "Invalid type for 'model': expected a string, but got a boolean instead."
        )
        let empty = try Self.answer("/v1/chat/completions", ["model": "gpt-4o-mini", "messages": [Any]()])
        #expect((empty.object["error"] as? [String: Any])?["code"] as? String == "empty_array")
        let badLimit = try Self.answer("/v1/chat/completions", ["model": "gpt-4o-mini", "messages": [["role": "user"]], "max_tokens": "5"])
        #expect(
            (badLimit.object["error"] as? [String: Any])?["message"] as? String
                == "Invalid type for 'max_tokens': expected an integer, but got a string instead."
        )
    }

    // MARK: Responses

    @Test func aResponseHasTheRecordedKeysInOrder() throws {
        let answered = try Self.answer("/v1/responses", ["model": "gpt-4o-mini", "input": "Respond with only the word hello."])
        #expect(
            Self.keysInOrder(
                answered.text,
                [
                    "id", "object", "created_at", "status", "background", "error", "incomplete_details", "instructions",
                    "max_output_tokens", "max_tool_calls", "model", "output", "id", "type", "status", "content", "type",
                    "annotations", "logprobs", "text", "role", "parallel_tool_calls", "previous_response_id", "prompt_cache_key",
                    "reasoning", "effort", "summary", "safety_identifier", "service_tier", "store", "temperature", "text", "format",
                    "type", "verbosity", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "usage", "input_tokens",
                    "input_tokens_details", "cached_tokens", "output_tokens", "output_tokens_details", "reasoning_tokens",
                    "total_tokens", "user", "metadata",
                ]
            )
        )
        #expect(
            answered.text.contains(
                #""temperature": 1.0, "text": {"format": {"type": "text"}, "verbosity": "medium"}, "tool_choice": "auto", "tools": [], "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled""#
            )
        )
        #expect(answered.text.hasSuffix(#""user": null, "metadata": {}}"#))
        #expect(
            answered.text.contains(
                #""parallel_tool_calls": true, "previous_response_id": null, "prompt_cache_key": null, "reasoning": {"effort": null, "summary": null}, "safety_identifier": null, "service_tier": "default", "store": true, "temperature": 1.0"#
            )
        )
        let id = try #require(answered.object["id"] as? String)
        let output = try #require((answered.object["output"] as? [[String: Any]])?.first)
        let messageID = try #require(output["id"] as? String)
        #expect(Self.matches(id, "resp_[0-9a-f]{50}"))
        #expect(Self.matches(messageID, "msg_[0-9a-f]{50}"))
        // The service's message id shares the response id's first digits and its time.
        #expect(id.dropFirst(5).prefix(26) == messageID.dropFirst(4).prefix(26))
        #expect(id.contains(String(Self.created, radix: 16)))
        #expect(answered.object["status"] as? String == "completed")
        let usage = try #require(answered.object["usage"] as? [String: Any])
        // 3 + 4 + ceil(33 / 4).
        #expect(usage["input_tokens"] as? Int == 16)
        #expect(usage["total_tokens"] as? Int == 16 + (usage["output_tokens"] as? Int ?? 0))
    }

    @Test func aResponseEchoesSettingsAndStopsIncompleteAtMaxOutputTokens() throws {
        var body: [String: Any] = [
            "model": "gpt-4.1", "instructions": "Be kind.", "max_output_tokens": 2, "temperature": 0.2, "metadata": ["b": "2", "a": "1"],
            "input": [["role": "user", "content": [["type": "input_text", "text": "Tell me"]]]],
        ]
        // Booleans and numbers as JSONSerialization reads them from a line.
        let line = #"{"store": false, "top_logprobs": 2, "tools": [{"type": "web_search", "strict": true}]}"#
        for (key, value) in try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) { body[key] = value }
        let answered = try Self.answer("/v1/responses", body)
        #expect(answered.text.contains(#""store": false, "temperature": 0.2,"#))
        #expect(answered.text.contains(#""tools": [{"strict": true, "type": "web_search"}], "top_logprobs": 2,"#))
        #expect(answered.object["status"] as? String == "incomplete")
        #expect((answered.object["incomplete_details"] as? [String: Any])?["reason"] as? String == "max_output_tokens")
        #expect(answered.text.contains(#""instructions": "Be kind.", "max_output_tokens": 2,"#))
        #expect(answered.text.contains(#""temperature": 0.2,"#))
        #expect(answered.text.hasSuffix(#""metadata": {"a": "1", "b": "2"}}"#))
        #expect(answered.object["model"] as? String == "gpt-4.1-2025-04-14")
        // The instructions count as a message: 3 + (4 + 2) + (4 + 2).
        #expect(answered.answer.usage == BatchUsage(inputTokens: 15, outputTokens: 2))
    }

    @Test func aResponseWithoutInputOrModelAnswers400() throws {
        let noInput = try Self.answer("/v1/responses", ["model": "gpt-4o-mini"])
        #expect(noInput.answer.statusCode == 400)
        #expect((noInput.object["error"] as? [String: Any])?["message"] as? String == "Missing required parameter: 'input'.")
        let noModel = try Self.answer("/v1/responses", ["input": "x"])
        #expect((noModel.object["error"] as? [String: Any])?["param"] as? String == "model")
    }

    // MARK: Embeddings

    static func vectors(_ answered: Answered) throws -> [[Double]] {
        let data = try #require(answered.object["data"] as? [[String: Any]])
        return try data.map { try #require($0["embedding"] as? [Double]) }
    }

    static func norm(_ vector: [Double]) -> Double {
        vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    @Test(
        arguments: [
            ("text-embedding-3-small", nil, 1536), ("text-embedding-3-large", nil, 3072), ("text-embedding-ada-002", nil, 1536),
            ("my-embedder", nil, 1536), ("text-embedding-3-small", 456, 456), ("text-embedding-3-large", 256, 256),
        ] as [(String, Int?, Int)]
    )
    func embeddingsAreUnitVectorsOfTheModelsSize(model: String, dimensions: Int?, size: Int) throws {
        var body: [String: Any] = ["model": model, "input": "Hello, world!"]
        body["dimensions"] = dimensions
        let answered = try Self.answer("/v1/embeddings", body)
        let vectors = try Self.vectors(answered)
        #expect(vectors.count == 1)
        #expect(vectors[0].count == size)
        #expect(abs(Self.norm(vectors[0]) - 1) < 1e-6)
    }

    @Test func everyInputShapeGetsOneEmbeddingAndTheRuleCountsItsTokens() throws {
        let inputs: [(Any, Int, Int)] = [
            ("Hello, world!", 1, 4), (["a", "bbbbb", "c"], 3, 4), ([1, 2, 3], 1, 3), ([[1, 2], [3], [4, 5, 6]], 3, 6),
        ]
        for (input, count, tokens) in inputs {
            let answered = try Self.answer("/v1/embeddings", ["model": "text-embedding-3-small", "input": input])
            let data = try #require(answered.object["data"] as? [[String: Any]])
            #expect(data.count == count)
            #expect(data.map { $0["index"] as? Int } == Array(0..<count))
            #expect(answered.object["usage"] as? [String: Int] == ["prompt_tokens": tokens, "total_tokens": tokens])
            #expect(answered.answer.usage == BatchUsage(inputTokens: Int64(tokens)))
        }
    }

    @Test func anEmbeddingDependsOnTheTextAndModelNotTheLine() throws {
        func vector(_ input: String, _ model: String, seed: String) throws -> [Double] {
            try Self.vectors(try Self.answer("/v1/embeddings", ["model": model, "input": input], seed: seed))[0]
        }
        let first = try vector("cat", "text-embedding-3-small", seed: "batch_a/1")
        #expect(try vector("cat", "text-embedding-3-small", seed: "batch_b/9") == first)
        #expect(try vector("dog", "text-embedding-3-small", seed: "batch_a/1") != first)
        #expect(try vector("cat", "text-embedding-ada-002", seed: "batch_a/1") != first)
        // A shortened embedding is the native one cut and scaled back to length 1.
        let short = try Self.vectors(try Self.answer("/v1/embeddings", ["model": "text-embedding-3-small", "input": "cat", "dimensions": 8]))[0]
        let scale = Self.norm(Array(first.prefix(8)))
        for (cut, full) in zip(short, first.prefix(8)) { #expect(abs(cut - full / scale) < 1e-6) }
    }

    @Test func embeddingsInTheEmbeddingsLayoutAndBase64AreTheSameFloat32Values() throws {
        let floats = try Self.answer("/v1/embeddings", ["model": "text-embedding-3-small", "input": ["x", "y"], "dimensions": 64])
        let base64 = try Self.answer(
            "/v1/embeddings",
            ["model": "text-embedding-3-small", "input": ["x", "y"], "dimensions": 64, "encoding_format": "base64"]
        )
        let encoded = try #require((base64.object["data"] as? [[String: Any]])?.map { $0["embedding"] as? String })
        // Read with Swift's exact parser: JSONSerialization on Linux may miss the last digit.
        let written = floats.text.components(separatedBy: #""embedding": ["#).dropFirst().map { list in
            list.prefix { $0 != "]" }.components(separatedBy: ", ").compactMap(Double.init)
        }
        #expect(written.map(\.count) == [64, 64])
        for (text, vector) in zip(encoded, written) {
            let encodedText = try #require(text)
            let bytes = try #require(Data(base64Encoded: encodedText))
            let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            }
            #expect(decoded.map(Double.init) == vector)
        }
        #expect(written.joined().allSatisfy { Double(Float($0)) == $0 })
        // Each value is Python's repr of the float32 as a double: 17 significant digits at most, no `e-5`.
        #expect(!floats.text.contains("e-5,"))
        #expect(floats.text.hasPrefix(#"{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": ["#))
        #expect(floats.text.hasSuffix(#"], "model": "text-embedding-3-small", "usage": {"prompt_tokens": 2, "total_tokens": 2}}"#))
    }

    @Test func anEmbeddingsBodyTheEndpointRefusesAnswers400() throws {
        let cases: [([String: Any], String)] = [
            (["model": "text-embedding-3-small"], "Missing required parameter: 'input'."),
            (
                ["model": "text-embedding-3-small", "input": ""],
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
            ),
            (
                ["model": "text-embedding-3-small", "input": [1, "a"]],
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
            ),
            (["model": "text-embedding-3-small", "input": "a", "dimensions": -42], "-42 is less than the minimum of 1 - 'dimensions'"),
            (["model": "text-embedding-ada-002", "input": "a", "dimensions": 8], "This model does not support specifying dimensions."),
            (["input": "a"], "you must provide a model parameter"),
        ]
        for (body, message) in cases {
            let answered = try Self.answer("/v1/embeddings", body)
            #expect(answered.answer.statusCode == 400)
            #expect((answered.object["error"] as? [String: Any])?["message"] as? String == message)
        }
    }

    // MARK: Completions, moderations, images, videos

    @Test func aCompletionIsATextCompletionWithOneChoicePerPrompt() throws {
        let answered = try Self.answer(
            "/v1/completions",
            ["model": "gpt-3.5-turbo-instruct", "prompt": ["Say this", "Say that"], "max_tokens": 100]
        )
        let id = try #require(answered.object["id"] as? String)
        #expect(Self.matches(id, "cmpl-[0-9A-Za-z]{29}"))
        #expect(
            answered.text.hasPrefix(
                #"{"id": "\#(id)", "object": "text_completion", "created": 1770950813, "model": "gpt-3.5-turbo-instruct", "choices": [{"text": "This is a mock completion from mockfiles to: \"Say this\"", "index": 0, "logprobs": null, "finish_reason": "stop"}, "#
            )
        )
        #expect(answered.text.hasSuffix(#""usage": {"prompt_tokens": 4, "completion_tokens": 28, "total_tokens": 32}}"#))
        // Without max_tokens the endpoint's default of 16 cuts a longer answer.
        let long = try Self.answer("/v1/completions", ["model": "gpt-3.5-turbo-instruct", "prompt": "a much longer prompt than this one here"])
        #expect((long.object["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
        #expect(long.answer.usage.outputTokens == 16)
    }

    @Test func aModerationFlagsNothingWithTheRecordedCategoriesInOrder() throws {
        let answered = try Self.answer("/v1/moderations", ["input": ["I am killing all my houseplants!", "hi"]])
        let id = try #require(answered.object["id"] as? String)
        #expect(Self.matches(id, "modr-[0-9]{1,7}"))
        #expect(answered.object["model"] as? String == "omni-moderation-latest")
        let results = try #require(answered.object["results"] as? [[String: Any]])
        #expect(results.count == 2)
        let categories =
            #"{"harassment": false, "harassment/threatening": false, "sexual": false, "hate": false, "hate/threatening": false, "#
            + #""illicit": false, "illicit/violent": false, "self-harm/intent": false, "self-harm/instructions": false, "#
            + #""self-harm": false, "sexual/minors": false, "violence": false, "violence/graphic": false}"#
        #expect(answered.text.contains(#"[{"flagged": false, "categories": \#(categories), "category_scores": {"harassment": "#))
        for result in results {
            let scores = try #require(result["category_scores"] as? [String: Double])
            #expect(scores.count == 13)
            #expect(scores.values.allSatisfy { $0 >= 0 && $0 < 0.001 })
            #expect((result["category_applied_input_types"] as? [String: [String]])?["violence"] == ["text"])
        }
        #expect(answered.answer.usage == BatchUsage())
        let image = try Self.answer("/v1/moderations", ["input": [["type": "image_url", "image_url": ["url": "https://x/y.png"]]]])
        let types = try #require((image.object["results"] as? [[String: Any]])?.first?["category_applied_input_types"] as? [String: [String]])
        #expect(types["violence"] == ["image"])
        #expect(types["hate"] == [])
    }

    @Test func anImageAnswerIsTheRecordedObjectWithOnePixelPNGs() throws {
        let answered = try Self.answer("/v1/images/generations", ["model": "gpt-image-1", "prompt": "An isolated stop sign.", "n": 2])
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVQYV2NgAAIAAAUAAarVyFEAAAAASUVORK5CYII="
        let expected =
            #"{"created": 1770950813, "background": "opaque", "data": [{"b64_json": "\#(png)"}, {"b64_json": "\#(png)"}], "#
            + #""output_format": "png", "quality": "medium", "size": "1024x1024", "usage": {"input_tokens": 6, "#
            + #""input_tokens_details": {"image_tokens": 0, "text_tokens": 6}, "output_tokens": 2112, "#
            + #""output_tokens_details": {"image_tokens": 2112, "text_tokens": 0}, "total_tokens": 2118}}"#
        #expect(answered.text == expected)
        #expect(Array(try #require(Data(base64Encoded: png)).prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(answered.answer.usage == BatchUsage(inputTokens: 6, outputTokens: 2112))

        let edit = try Self.answer(
            "/v1/images/edits",
            ["prompt": "Add a cat", "images": [["file_id": "file-a"]], "quality": "high", "size": "1024x1536", "output_format": "webp"]
        )
        #expect(edit.text.contains(#""output_format": "webp", "quality": "high", "size": "1024x1536""#))
        #expect(edit.answer.usage == BatchUsage(inputTokens: 3 + 194, outputTokens: 6240))
        let noImage = try Self.answer("/v1/images/edits", ["prompt": "Add a cat"])
        #expect((noImage.object["error"] as? [String: Any])?["param"] as? String == "images")
        let noPrompt = try Self.answer("/v1/images/generations", ["model": "gpt-image-1"])
        #expect(noPrompt.answer.statusCode == 400)
    }

    @Test func aVideoAnswerIsACompletedVideoJob() throws {
        let answered = try Self.answer("/v1/videos", ["prompt": "A calico cat playing a piano", "model": "sora-2-pro", "seconds": "8"])
        let id = try #require(answered.object["id"] as? String)
        #expect(Self.matches(id, "video_[0-9a-f]{12}8190[0-9a-f]{32}"))
        let expected =
            #"{"id": "\#(id)", "object": "video", "model": "sora-2-pro", "status": "completed", "progress": 100, "#
            + #""created_at": 1770950813, "completed_at": 1770950813, "expires_at": 1771037213, "size": "720x1280", "#
            + #""seconds": "8", "remixed_from_video_id": null, "error": null}"#
        #expect(answered.text == expected)
        #expect(try Self.answer("/v1/videos", ["model": "sora-2"]).answer.statusCode == 400)
    }

    // MARK: Models and endpoints

    @Test func datedModelsNameTheSnapshotAndLeaveOthersAlone() {
        #expect(BatchAnswers.datedModel("gpt-4o-mini") == "gpt-4o-mini-2024-07-18")
        #expect(BatchAnswers.datedModel("gpt-5.4-pro") == "gpt-5.4-pro-2026-03-05")
        #expect(BatchAnswers.datedModel("gpt-4o-mini-2024-07-18") == "gpt-4o-mini-2024-07-18")
        #expect(BatchAnswers.datedModel("text-embedding-3-small") == "text-embedding-3-small")
        #expect(BatchAnswers.datedModel("my-fine-tune") == "my-fine-tune")
    }

    @Test func anEndpointWithoutAnswersIsThe404OfAnUnknownPath() throws {
        let answered = try Self.answer("/v1/audio/speech", ["input": "x"])
        #expect(answered.answer.statusCode == 404)
        #expect((answered.object["error"] as? [String: Any])?["message"] as? String == "Invalid URL (POST /v1/audio/speech)")
    }

    /// Validation asks `statusCode` of every line and counts on it being the status the results
    /// will have; it skips writing, so a check moved inside an endpoint's `write` would show here.
    @Test func theStatusAloneIsTheStatusOfTheWrittenAnswer() {
        let cases: [(String, [String: Any])] = [
            ("/v1/chat/completions", ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "Hi"]]]),
            ("/v1/chat/completions", ["model": "gpt-4o-mini"]),
            ("/v1/chat/completions", ["model": "gpt-4o-mini", "messages": [], "max_tokens": "3"]),
            ("/v1/responses", ["model": "gpt-4o-mini", "input": "Hi"]),
            ("/v1/responses", ["input": "Hi"]),
            ("/v1/embeddings", ["model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8]),
            ("/v1/embeddings", ["model": "text-embedding-3-small", "input": "a", "dimensions": 99_999]),
            ("/v1/embeddings", ["model": "text-embedding-3-small", "input": "a", "encoding_format": "hex"]),
            ("/v1/completions", ["model": "gpt-3.5-turbo-instruct", "prompt": "Say"]),
            ("/v1/completions", ["model": "gpt-3.5-turbo-instruct", "prompt": [[1, 2], "x"]]),
            ("/v1/moderations", ["input": ["a", "b"]]),
            ("/v1/moderations", ["input": 5]),
            ("/v1/images/generations", ["prompt": "a cat"]),
            ("/v1/images/edits", ["prompt": "a cat"]),
            ("/v1/videos", ["prompt": "a cat"]),
            ("/v1/videos", [:]),
            ("/v1/audio/speech", ["input": "x"]),
        ]
        var refused = 0
        for (endpoint, body) in cases {
            let written = BatchAnswers.answer(endpoint: endpoint, body: body, seed: "batch_test/1", created: Self.created).statusCode
            #expect(BatchAnswers.statusCode(endpoint: endpoint, body: body) == written, "\(endpoint) \(body)")
            if written != 200 { refused += 1 }
        }
        // Both kinds are in the cases, so the comparison says something about each.
        #expect(refused == 10)
    }
}
