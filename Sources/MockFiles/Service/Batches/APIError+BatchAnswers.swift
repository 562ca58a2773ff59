import HTTPTypes

/// The errors an endpoint answers a batch line's body with (a chat body without `messages`): a
/// batch's error file carries them as the line's `response.body` (openai/openai-openapi#302).
/// Every text is the service's where a capture shows it; the source is named on each.
extension APIError {
    /// Quoted in SilasMarvin/lsp-ai#108 (chat, `messages`) and openai/codex#6725 (responses).
    static func missingParameter(_ param: String) -> APIError {
        .invalid("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    /// Chat, completions and embeddings without a model (danielmiessler/Fabric#239).
    static let missingModel = APIError(status: .badRequest, message: "you must provide a model parameter")

    /// `Invalid type for 'max_tokens': expected an integer, but got a string instead.`
    /// (diffbot/code-gpt-docs#273); the code `invalid_type` is the mock's (none captured).
    static func invalidType(_ param: String, expected: String, got value: Any) -> APIError {
        .invalid(
            "Invalid type for '\(param)': expected \(expected), but got \(JSONNumberKind.typeName(of: value)) instead.",
            param: param,
            code: "invalid_type"
        )
    }

    /// CopilotKit/CopilotKit#529.
    static func emptyArray(_ param: String) -> APIError {
        .invalid(
            "Invalid '\(param)': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param: param,
            code: "empty_array"
        )
    }

    /// An embeddings `input` that is empty or of the wrong shape (run-llama/llama_index#9951).
    static let invalidEmbeddingInput = APIError(
        status: .badRequest,
        message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
    )

    /// The envelope as a batch line's `response.body`: the `error` object alone (no `detail`), in
    /// the output line's layout.
    func lineBody() -> [UInt8] {
        BatchAnswers.write { json in
            json.beginObject()
            json.key("error")
            writeErrorObject(to: &json)
            json.endObject()
        }
    }
}
