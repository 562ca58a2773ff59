import Foundation

/// `/v1/completions` (legacy): a `text_completion`, one choice per prompt and `n`. No recording
/// exists; the key order is the API reference's example, a choice.
extension BatchAnswers {
    static func completion(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        let model = try request.model()
        guard let prompt = request.value("prompt") else { throw .missingParameter("prompt") }
        let prompts = try completionPrompts(prompt)
        // The endpoint's documented default, so an answer without `max_tokens` may stop at `length`.
        let limit = try request.integer("max_tokens") ?? 16
        let perPrompt = min(128, max(1, try request.integer("n") ?? 1))

        guard request.writesBody else { return .accepted }
        let promptTokens = prompts.reduce(0) { $0 + $1.tokens }
        var answers: [(text: String, cut: Bool)] = []
        for prompt in prompts {
            let answer = cut(answerText(quoting: prompt.text, "This is a mock completion from mockfiles"), toTokens: limit)
            answers += Array(repeating: answer, count: Int(perPrompt))
        }
        let completionTokens = answers.reduce(0) { $0 + tokens($1.text) }
        var random = BatchAnswerRandom(request.seed, "completion")
        let body = request.write { json in
            json.beginObject()
            json.field("id", "cmpl-" + random.base62(29))
            json.field("object", "text_completion")
            json.field("created", request.created)
            json.field("model", model)
            json.key("choices")
            json.beginArray()
            for (index, answer) in answers.enumerated() {
                json.beginObject()
                json.field("text", answer.text)
                json.field("index", Int64(index))
                json.field("logprobs", nil as String?)
                json.field("finish_reason", answer.cut ? "length" : "stop")
                json.endObject()
            }
            json.endArray()
            json.key("usage")
            json.beginObject()
            json.field("prompt_tokens", promptTokens)
            json.field("completion_tokens", completionTokens)
            json.field("total_tokens", promptTokens + completionTokens)
            json.endObject()
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage(inputTokens: promptTokens, outputTokens: completionTokens))
    }

    /// A string, a list of strings, a token list or a list of token lists; a token list has no
    /// text to quote.
    private static func completionPrompts(_ prompt: Any) throws(APIError) -> [(text: String?, tokens: Int64)] {
        if let text = prompt as? String { return [(text, tokens(text))] }
        guard let items = prompt as? [Any], !items.isEmpty else {
            throw .invalidType("prompt", expected: "a string or an array", got: prompt)
        }
        if let texts = items as? [String] { return texts.map { ($0, tokens($0)) } }
        if items.allSatisfy({ JSONNumberKind.number($0) != nil }) { return [(nil, Int64(items.count))] }
        var prompts: [(text: String?, tokens: Int64)] = []
        for item in items {
            guard let list = item as? [Any], list.allSatisfy({ JSONNumberKind.number($0) != nil }) else {
                throw .invalidType("prompt", expected: "a string, an array of strings or token arrays", got: item)
            }
            prompts.append((nil, Int64(list.count)))
        }
        return prompts
    }
}
