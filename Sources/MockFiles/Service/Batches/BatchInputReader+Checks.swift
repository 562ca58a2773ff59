import Foundation
import NIOCore

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

    /// The line on its own: parsed, its fields present and typed, its method, url and stream
    /// checked. A pure function of the bytes, so the lines of a chunk may be read in parallel.
    static func read(_ raw: BatchRawLine, endpoint: String) -> BatchLineReading {
        guard let object = raw.bytes.withUnsafeReadableBytes(Self.object) else {
            return BatchLineReading(
                customID: nil,
                outcome: .failure(BatchLineFailure(code: "invalid_json_line", message: "This line is not parseable as valid JSON."))
            )
        }
        let outcome = Result { () throws(BatchLineFailure) -> BatchLineReading.Request in
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
            return BatchLineReading.Request(customID: customID, body: body, model: lineModel)
        }
        return BatchLineReading(customID: object["custom_id"] as? String, outcome: outcome)
    }

    /// The line as a request, or nil after reporting why it is not one: `reading` and then the
    /// checks against the lines before it (`custom_id` unique, one model), in line order.
    mutating func accept(_ reading: BatchLineReading, of raw: BatchRawLine) -> BatchInputLine? {
        // Every custom_id is remembered, from bad lines too, so a later copy is still a duplicate.
        var firstUse: Int64?
        if checksDuplicates, let customID = reading.customID {
            let key = Array(customID.utf8)
            firstUse = customIDs[key]
            if firstUse == nil { customIDs[key] = raw.line }
        }
        do throws(BatchLineFailure) {
            let request = try reading.outcome.get()
            if let firstUse {
                throw Self.error(
                    "duplicate_custom_id",
                    "The custom_id '\(request.customID)' is already used on line \(firstUse): each request in a batch needs its own custom_id.",
                    "custom_id"
                )
            }
            if let lineModel = request.model, let model, lineModel != model {
                throw Self.error(
                    "model_mismatch",
                    "The model '\(lineModel)' does not match the model '\(model)' of the batch's first request: a batch uses one model.",
                    "body.model"
                )
            }
            if model == nil { model = request.model }
            if endpoint == "/v1/embeddings" { countEmbeddingInputs(request.body["input"], line: raw.line) }
            return request.line(at: raw)
        } catch {
            report(BatchLineError(code: error.code, message: error.message, param: error.param, line: raw.line))
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

    static func error(_ code: String, _ message: String, _ param: String) -> BatchLineFailure {
        BatchLineFailure(code: code, message: message, param: param)
    }

    private static func field<Value>(_ object: [String: Any], _ key: String, _ expected: String, path: String = "") throws(BatchLineFailure) -> Value
    {
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

/// Why a line is not a request: an item of the batch's `errors.data`, less its line.
struct BatchLineFailure: Error {
    var code: String
    var message: String
    var param: String?
}

/// What one line says on its own, before it is compared with the lines before it
/// (`BatchInputReader.read`). `@unchecked Sendable`: it holds only the values JSONSerialization
/// just made for this line (strings, numbers, arrays, dictionaries, none of them mutable or
/// shared), handed once from the task that read the line to the one that accepts it.
struct BatchLineReading: @unchecked Sendable {
    struct Request {
        var customID: String
        var body: [String: Any]
        var model: String?

        /// The request at `raw`'s place in the file.
        func line(at raw: BatchRawLine) -> BatchInputLine {
            BatchInputLine(index: raw.index, line: raw.line, customID: customID, body: body, model: model)
        }
    }

    /// The `custom_id` when it is a string, from a bad line too.
    var customID: String?
    var outcome: Result<Request, BatchLineFailure>
}
