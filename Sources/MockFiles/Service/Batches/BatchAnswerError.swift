/// A line's body that the endpoint itself refuses: written as the service's error envelope
/// `{"error": {"message", "type", "param", "code"}}`, which a batch's error file carries as the
/// line's `response.body` (openai/openai-openapi#302). Every text is the service's where a capture
/// shows it; the source is named on each.
struct BatchAnswerError: Error {
    var status = 400
    var message: String
    var type = "invalid_request_error"
    var param: String?
    var code: String?

    /// Quoted in SilasMarvin/lsp-ai#108 (chat, `messages`) and openai/codex#6725 (responses).
    static func missing(_ param: String) -> BatchAnswerError {
        BatchAnswerError(message: "Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    /// Chat, completions and embeddings without a model (danielmiessler/Fabric#239).
    static let noModel = BatchAnswerError(message: "you must provide a model parameter")

    /// `Invalid type for 'max_tokens': expected an integer, but got a string instead.`
    /// (diffbot/code-gpt-docs#273); the code `invalid_type` is the mock's (none captured).
    static func invalidType(_ param: String, expected: String, got value: Any) -> BatchAnswerError {
        BatchAnswerError(
            message: "Invalid type for '\(param)': expected \(expected), but got \(BatchAnswerRequest.typeName(value)) instead.",
            param: param,
            code: "invalid_type"
        )
    }

    /// CopilotKit/CopilotKit#529.
    static func emptyArray(_ param: String) -> BatchAnswerError {
        BatchAnswerError(
            message: "Invalid '\(param)': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param: param,
            code: "empty_array"
        )
    }

    /// An embeddings `input` that is empty or of the wrong shape (run-llama/llama_index#9951).
    static let invalidEmbeddingInput = BatchAnswerError(
        message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
    )

    /// The service's answer to a path it does not serve (404, param and code null); a batch's own
    /// validation refuses such an endpoint first, so only a direct caller sees it.
    static func invalidURL(_ endpoint: String) -> BatchAnswerError {
        BatchAnswerError(status: 404, message: "Invalid URL (POST \(endpoint))")
    }

    /// The envelope in the output line's layout.
    func body() -> [UInt8] {
        BatchAnswers.write { json in
            json.beginObject()
            json.key("error")
            json.beginObject()
            json.field("message", message)
            json.field("type", type)
            json.field("param", param)
            json.field("code", code)
            json.endObject()
            json.endObject()
        }
    }
}
