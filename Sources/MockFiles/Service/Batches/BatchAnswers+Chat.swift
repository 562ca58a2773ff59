/// `/v1/chat/completions`: a `chat.completion` in the key order of ChatTests/HelloWorldChat
/// (2026-02-13), one assistant message per choice.
extension BatchAnswers {
    static func chatCompletion(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        let model = try request.model()
        guard let value = request.value("messages") else { throw .missingParameter("messages") }
        guard let messages = value as? [Any] else { throw .invalidType("messages", expected: "an array", got: value) }
        guard !messages.isEmpty else { throw .emptyArray("messages") }
        for (index, message) in messages.enumerated() where !(message is [String: Any]) {
            throw .invalidType("messages[\(index)]", expected: "an object", got: message)
        }
        // `max_completion_tokens` replaced `max_tokens`; the newer one wins when both are sent.
        let oldLimit = try request.integer("max_tokens")
        let limit = try request.integer("max_completion_tokens") ?? oldLimit
        let choices = min(128, max(1, try request.integer("n") ?? 1))

        guard request.writesBody else { return .accepted }
        let contents = messages.map(content(of:))
        let (text, wasCut) = cut(answerText(quoting: lastUserText(contents)), toTokens: limit)
        let promptTokens = promptTokens(contents)
        let completionTokens = tokens(text) * choices
        let dated = datedModel(model)
        var random = BatchAnswerRandom(request.seed, "chat")
        let body = request.write { json in
            json.beginObject()
            json.field("id", "chatcmpl-" + random.base62(29))
            json.field("object", "chat.completion")
            json.field("created", request.created)
            json.field("model", dated)
            json.key("choices")
            json.beginArray()
            for index in 0..<choices {
                json.beginObject()
                json.field("index", index)
                json.key("message")
                json.beginObject()
                json.field("role", "assistant")
                json.field("content", text)
                json.field("refusal", nil as String?)
                json.key("annotations")
                json.beginArray()
                json.endArray()
                json.endObject()
                // The o-series' choices carry no `logprobs` key (ChatTests/ChatServiceTierWorks, o3-mini).
                if !isReasoningSeries(model) { json.field("logprobs", nil as String?) }
                json.field("finish_reason", wasCut ? "length" : "stop")
                json.endObject()
            }
            json.endArray()
            json.key("usage")
            json.beginObject()
            json.field("prompt_tokens", promptTokens)
            json.field("completion_tokens", completionTokens)
            json.field("total_tokens", promptTokens + completionTokens)
            json.key("prompt_tokens_details")
            json.beginObject()
            json.field("cached_tokens", 0 as Int64)
            json.field("audio_tokens", 0 as Int64)
            json.endObject()
            json.key("completion_tokens_details")
            json.beginObject()
            json.field("reasoning_tokens", 0 as Int64)
            json.field("audio_tokens", 0 as Int64)
            json.field("accepted_prediction_tokens", 0 as Int64)
            json.field("rejected_prediction_tokens", 0 as Int64)
            json.endObject()
            json.endObject()
            json.field("service_tier", "default")
            json.field("system_fingerprint", fingerprint(dated))
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage(inputTokens: promptTokens, outputTokens: completionTokens))
    }

    /// `fp_` and 10 hex digits, fixed per model as the service's are for a deployment (the
    /// recordings sanitize the value, so its digits are the mock's).
    static func fingerprint(_ model: String) -> String {
        knownFingerprints[model] ?? computedFingerprint(model)
    }

    /// The dated models' fingerprints, worked out once: most lines name one of them.
    private static let knownFingerprints = Dictionary(uniqueKeysWithValues: datedModels.values.map { ($0, computedFingerprint($0)) })

    private static func computedFingerprint(_ model: String) -> String {
        var random = BatchAnswerRandom(model, "system_fingerprint")
        return "fp_" + random.hex(10)
    }

    static func isReasoningSeries(_ model: String) -> Bool {
        ["o1", "o3", "o4"].contains { model == $0 || model.hasPrefix($0 + "-") }
    }
}
