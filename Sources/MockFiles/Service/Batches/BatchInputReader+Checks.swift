import Foundation

/// The checks of one request line and of the whole file, and the errors they give.
///
/// | code | message | param | line | source |
/// |---|---|---|---|---|
/// | `invalid_json_line` | `This line is not parseable as valid JSON.` | null | N | captured (stdapi.ai#240); also for valid JSON that is not an object, and a line starting with a byte-order mark: ours |
/// | `missing_required_parameter` | `Missing required parameter: 'custom_id'.` | `custom_id` | N | captured (community.openai.com/t/718416, page 2); the same form for `method`, `url`, `body` and `body.model` (`null` counts as missing): ours |
/// | `invalid_type` | `Invalid type for 'custom_id': expected a string, but got an integer instead.` | the field | N | ours, in the synchronous endpoints' wording; also `method`, `url`, `body` (an object), `body.model` |
/// | `invalid_value` | `Invalid value: 'GET'. Supported values are: 'POST'.` | `method` | N | ours, in the synchronous endpoints' enum wording |
/// | `url_mismatch` | `The url '/v1/embeddings' does not match the batch's endpoint '/v1/chat/completions'.` | `url` | N | code: the service's documented list (quoted in stdapi.ai#240), not issue 33's `invalid_url`; message ours |
/// | `streaming_unsupported` | `Streaming is not supported by the Batch API: remove 'stream' or set it to false.` | `body.stream` | N | code named in issue 33; message ours |
/// | `duplicate_custom_id` | `The custom_id 'req-1' is already used on line 3: each request in a batch needs its own custom_id.` | `custom_id` | N | code documented; message ours |
/// | `model_mismatch` | `The model 'gpt-4o' does not match the model 'gpt-4o-mini' of the batch's first request: a batch uses one model.` | `body.model` | N | code documented; message ours |
/// | `invalid_request` | `This line is longer than 16,777,216 bytes, the most mockfiles reads in one batch line.` | null | N | ours (the service's limit is unknown) |
/// | `invalid_request` | `An embeddings batch can have at most 50,000 inputs across its requests; this line brings the total to 50,002.` | `body.input` | N | limit: GO; code and message ours |
/// | `too_many_tasks` | `The batch input file contains 50,001 requests, more than the limit of 50,000.` | null | null | limit: GO; code documented; message ours |
/// | `empty_file` | `The batch input file contains no requests.` | null | null | code documented; message ours |
///
/// A line gets one error, the first of: JSON, the four fields (present, then typed, in that
/// order), `method`, `url`, `body.model`, `stream`, `custom_id` unique, model the same.
extension BatchInputReader {
    /// Endpoints whose requests may leave `model` out (their APIs default it).
    static let modelOptional: Set<String> = ["/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos"]

    /// The line as a request, or nil after reporting why it is not one.
    mutating func checkedLine(_ bytes: UnsafeRawBufferPointer, index: Int64, line: Int64) -> BatchInputLine? {
        guard let object = Self.object(bytes) else {
            report(BatchLineError(code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line: line))
            return nil
        }
        // Every custom_id is remembered, from bad lines too, so a later copy is still a duplicate.
        var firstUse: Int64?
        if let customID = object["custom_id"] as? String {
            firstUse = customIDs[Array(customID.utf8)]
            if firstUse == nil { customIDs[Array(customID.utf8)] = line }
        }
        do throws(LineFailure) {
            let customID: String = try Self.field(object, "custom_id", "a string")
            let method: String = try Self.field(object, "method", "a string")
            let url: String = try Self.field(object, "url", "a string")
            let body: [String: Any] = try Self.field(object, "body", "an object")
            guard method == "POST" else { throw Self.error("invalid_value", "Invalid value: '\(method)'. Supported values are: 'POST'.", "method") }
            guard url == endpoint else {
                throw Self.error("url_mismatch", "The url '\(url)' does not match the batch's endpoint '\(endpoint)'.", "url")
            }
            let lineModel: String? =
                Self.modelOptional.contains(endpoint) && Self.isMissing(body["model"])
                ? nil : try Self.field(body, "model", "a string", path: "body.")
            if let stream = body["stream"].flatMap(JSONNumberKind.number), JSONNumberKind(stream) == .boolean, stream.boolValue {
                throw Self.error(
                    "streaming_unsupported",
                    "Streaming is not supported by the Batch API: remove 'stream' or set it to false.",
                    "body.stream"
                )
            }
            if let firstUse {
                throw Self.error(
                    "duplicate_custom_id",
                    "The custom_id '\(customID)' is already used on line \(firstUse): each request in a batch needs its own custom_id.",
                    "custom_id"
                )
            }
            if let lineModel, let model, lineModel != model {
                throw Self.error(
                    "model_mismatch",
                    "The model '\(lineModel)' does not match the model '\(model)' of the batch's first request: a batch uses one model.",
                    "body.model"
                )
            }
            if model == nil { model = lineModel }
            if endpoint == "/v1/embeddings" { countEmbeddingInputs(body["input"], line: line) }
            return BatchInputLine(index: index, line: line, customID: customID, body: body, model: lineModel)
        } catch {
            report(BatchLineError(code: error.code, message: error.message, param: error.param, line: line))
            return nil
        }
    }

    static func lineTooLong(line: Int64, limit: Int) -> BatchLineError {
        BatchLineError(
            code: "invalid_request",
            message: "This line is longer than \(grouped(Int64(limit))) bytes, the most mockfiles reads in one batch line.",
            line: line
        )
    }

    static func tooManyTasks(_ lines: Int64, limit: Int64) -> BatchLineError {
        BatchLineError(
            code: "too_many_tasks",
            message: "The batch input file contains \(grouped(lines)) requests, more than the limit of \(grouped(limit))."
        )
    }

    static func emptyFile() -> BatchLineError {
        BatchLineError(code: "empty_file", message: "The batch input file contains no requests.")
    }

    /// A string input is one, a list of strings or of token lists one per item, one token list one.
    private mutating func countEmbeddingInputs(_ input: Any?, line: Int64) {
        let count: Int64
        switch input {
        case is String: count = 1
        case let list as [Any]: count = list.first.flatMap(JSONNumberKind.number) != nil ? 1 : Int64(list.count)
        default: count = 0
        }
        let before = embeddingInputs
        embeddingInputs += count
        if before <= limits.maxEmbeddingInputs && embeddingInputs > limits.maxEmbeddingInputs {
            fileErrors.append(
                BatchLineError(
                    code: "invalid_request",
                    message: "An embeddings batch can have at most \(Self.grouped(limits.maxEmbeddingInputs)) inputs across its requests; "
                        + "this line brings the total to \(Self.grouped(embeddingInputs)).",
                    param: "body.input",
                    line: line
                )
            )
        }
    }

    private struct LineFailure: Error {
        var code: String
        var message: String
        var param: String?
    }

    private static func error(_ code: String, _ message: String, _ param: String) -> LineFailure {
        LineFailure(code: code, message: message, param: param)
    }

    private static func field<Value>(_ object: [String: Any], _ key: String, _ expected: String, path: String = "") throws(LineFailure) -> Value {
        let name = path + key
        guard let value = object[key], !isMissing(value) else {
            throw error("missing_required_parameter", "Missing required parameter: '\(name)'.", name)
        }
        guard let typed = value as? Value else {
            throw error(
                "invalid_type",
                "Invalid type for '\(name)': expected \(expected), but got \(JSONNumberKind.typeName(of: value)) instead.",
                name
            )
        }
        return typed
    }

    private static func isMissing(_ value: Any?) -> Bool { value.map(JSONNumberKind.isNull) ?? true }

    /// Python's byte-order-mark refusal, then JSONSerialization straight on the line's bytes.
    private static func object(_ bytes: UnsafeRawBufferPointer) -> [String: Any]? {
        guard let base = bytes.baseAddress, !bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return nil }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// `50000` as `50,000`, as the service writes its limits.
    static func grouped(_ number: Int64) -> String {
        let digits = Array(String(number))
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
