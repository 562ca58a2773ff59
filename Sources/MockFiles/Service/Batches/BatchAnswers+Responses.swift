import Foundation

/// `/v1/responses`: a `response` with one output message, in the key order of
/// ResponsesTests/OutputTextMethod (2025-09-29); the request's settings are echoed where the
/// service echoes them, its defaults written where it was silent.
extension BatchAnswers {
    static func response(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        let model = try request.requiredString("model")
        guard let input = request.value("input") else { throw .missingParameter("input") }
        var contents: [MessageContent]
        switch input {
        case let text as String: contents = [MessageContent(role: "user", text: text)]
        case let items as [Any]: contents = items.map(content(of:))
        default: throw .invalidType("input", expected: "a string or an array", got: input)
        }
        let instructions = try request.string("instructions")
        let limit = try request.integer("max_output_tokens")
        let temperature = try request.number("temperature") ?? 1
        let topP = try request.number("top_p") ?? 1
        guard request.writesBody else { return .accepted }
        let quoted = lastUserText(contents)
        if let instructions { contents.insert(MessageContent(role: "system", text: instructions), at: 0) }

        let (text, wasCut) = cut(answerText(quoting: quoted), toTokens: limit)
        let inputTokens = promptTokens(contents)
        let outputTokens = tokens(text)
        var random = BatchAnswerRandom(request.seed, "response")
        // The service's ids share their first 18 digits and carry the creation time next.
        let shared = random.hex(18) + BatchAnswerRandom.hexTime(request.created)
        let body = request.write { json in
            json.beginObject()
            json.field("id", "resp_" + shared + random.hex(24))
            json.field("object", "response")
            json.field("created_at", request.created)
            json.field("status", wasCut ? "incomplete" : "completed")
            json.field("background", false)
            json.field("error", nil as String?)
            json.key("incomplete_details")
            if wasCut {
                json.beginObject()
                json.field("reason", "max_output_tokens")
                json.endObject()
            } else {
                json.null()
            }
            json.field("instructions", instructions)
            json.field("max_output_tokens", limit)
            echo(request, "max_tool_calls", into: &json)
            json.field("model", datedModel(model))
            json.key("output")
            json.beginArray()
            json.beginObject()
            json.field("id", "msg_" + shared + random.hex(24))
            json.field("type", "message")
            json.field("status", wasCut ? "incomplete" : "completed")
            json.key("content")
            json.beginArray()
            json.beginObject()
            json.field("type", "output_text")
            json.key("annotations")
            json.beginArray()
            json.endArray()
            json.key("logprobs")
            json.beginArray()
            json.endArray()
            json.field("text", text)
            json.endObject()
            json.endArray()
            json.field("role", "assistant")
            json.endObject()
            json.endArray()
            echo(request, "parallel_tool_calls", default: NSNumber(value: true), into: &json)
            echo(request, "previous_response_id", into: &json)
            echo(request, "prompt_cache_key", into: &json)
            json.key("reasoning")
            json.beginObject()
            let reasoning = request.value("reasoning") as? [String: Any] ?? [:]
            json.key("effort")
            writeValue(reasoning["effort"], into: &json)
            json.key("summary")
            writeValue(reasoning["summary"], into: &json)
            json.endObject()
            echo(request, "safety_identifier", into: &json)
            json.field("service_tier", "default")
            echo(request, "store", default: NSNumber(value: true), into: &json)
            json.key("temperature")
            json.double(temperature)
            json.key("text")
            json.beginObject()
            json.key("format")
            json.beginObject()
            json.field("type", "text")
            json.endObject()
            json.field("verbosity", "medium")
            json.endObject()
            echo(request, "tool_choice", default: "auto", into: &json)
            echo(request, "tools", default: [Any](), into: &json)
            echo(request, "top_logprobs", default: NSNumber(value: 0), into: &json)
            json.key("top_p")
            json.double(topP)
            echo(request, "truncation", default: "disabled", into: &json)
            json.key("usage")
            json.beginObject()
            json.field("input_tokens", inputTokens)
            json.key("input_tokens_details")
            json.beginObject()
            json.field("cached_tokens", 0 as Int64)
            // Required by the SDK's `Response` type (openai-python 3.54): newer than the 2025-09 recording.
            json.field("cache_write_tokens", 0 as Int64)
            json.endObject()
            json.field("output_tokens", outputTokens)
            json.key("output_tokens_details")
            json.beginObject()
            json.field("reasoning_tokens", 0 as Int64)
            json.endObject()
            json.field("total_tokens", inputTokens + outputTokens)
            json.endObject()
            echo(request, "user", into: &json)
            echo(request, "metadata", default: [String: Any](), into: &json)
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage(inputTokens: inputTokens, outputTokens: outputTokens))
    }

    /// `name` and the request's value of it, or `fallback` (null when none) when it sent none.
    private static func echo(_ request: BatchAnswerRequest, _ name: StaticString, default fallback: Any? = nil, into json: inout JSONWriter) {
        json.key(name)
        writeValue(request.value(name.description) ?? fallback, into: &json)
    }
}
