import Foundation
import HTTPTypes

/// `/v1/embeddings`: a list of unit vectors, one per input, in the key order of
/// EmbeddingsTests/GenerateSingleEmbedding (2025-09-29).
extension BatchAnswers {
    /// Native sizes: 3-small recorded (1536, and `dimensions: 456` gives 456); 3-large and
    /// ada-002 from the vendor tables docs/batches-evidence.md names; any other model 1536.
    static let embeddingDimensions = ["text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536]

    /// One input: the text its vector is seeded by, and its tokens.
    private struct EmbeddingInput {
        var text: String
        var tokens: Int64
    }

    static func embeddings(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        let model = try request.model()
        guard let input = request.value("input") else { throw .missingParameter("input") }
        let inputs = try embeddingInputs(input)
        let native = embeddingDimensions[model] ?? 1536
        let dimensions = try embeddingSize(request, model: model, native: native)
        let format = try request.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else {
            // The mock's words, in the style of the service's schema messages (`BadOptions`).
            throw APIError(status: .badRequest, message: "'\(format)' is not one of ['float', 'base64'] - 'encoding_format'")
        }

        guard request.writesBody else { return .accepted }
        let promptTokens = inputs.reduce(0) { $0 + $1.tokens }
        let body = request.write { json in
            json.beginObject()
            json.field("object", "list")
            json.key("data")
            json.beginArray()
            for (index, input) in inputs.enumerated() {
                json.beginObject()
                json.field("object", "embedding")
                json.field("index", Int64(index))
                json.key("embedding")
                let vector = embedding(of: input.text, model: model, dimensions: dimensions, native: native)
                if format == "base64" {
                    json.string(base64(vector))
                } else {
                    json.beginArray()
                    for value in vector { json.double(Double(value)) }
                    json.endArray()
                }
                json.endObject()
            }
            json.endArray()
            json.field("model", model)
            json.key("usage")
            json.beginObject()
            json.field("prompt_tokens", promptTokens)
            json.field("total_tokens", promptTokens)
            json.endObject()
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage(inputTokens: promptTokens))
    }

    /// A unit vector seeded by the input and the model: the model's native size drawn, then cut to
    /// `dimensions` and scaled back to length 1, as the service shortens its 3rd-generation
    /// embeddings. Each value is the sum of three uniforms (close to normal, so the direction is
    /// near uniform) and only IEEE-exact arithmetic, so every machine draws the same vector.
    static func embedding(of text: String, model: String, dimensions: Int, native: Int) -> [Float] {
        var random = BatchAnswerRandom(model + "\u{0}" + text, "embedding")
        var values = [Double]()
        values.reserveCapacity(native)
        for _ in 0..<native { values.append(random.unit() + random.unit() + random.unit() - 1.5) }
        let kept = values.prefix(dimensions)
        let norm = kept.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return kept.map { Float($0 / norm) }
    }

    /// `encoding_format: "base64"`: the little-endian float32 bytes, base64-encoded.
    static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 * vector.count)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return Data(bytes).base64EncodedString()
    }

    private static func embeddingSize(_ request: BatchAnswerRequest, model: String, native: Int) throws(APIError) -> Int {
        guard let asked = try request.integer("dimensions") else { return native }
        // Both texts quoted from the service: R2R#768 and EmbeddingsTests/BadOptions (param and code null).
        if model == "text-embedding-ada-002" { throw APIError(status: .badRequest, message: "This model does not support specifying dimensions.") }
        guard asked >= 1 else { throw APIError(status: .badRequest, message: "\(asked) is less than the minimum of 1 - 'dimensions'") }
        // The mock's words by analogy: no capture of a size above the native one.
        guard asked <= native else {
            throw APIError(status: .badRequest, message: "\(asked) is greater than the maximum of \(native) - 'dimensions'")
        }
        return Int(asked)
    }

    /// A string, a list of strings, a token list or a list of token lists; anything else, or an
    /// empty one, is the service's `'$.input' is invalid`.
    private static func embeddingInputs(_ input: Any) throws(APIError) -> [EmbeddingInput] {
        if let text = input as? String {
            guard !text.isEmpty else { throw .invalidEmbeddingInput }
            return [EmbeddingInput(text: text, tokens: tokens(text))]
        }
        guard let items = input as? [Any], !items.isEmpty else { throw .invalidEmbeddingInput }
        if let texts = items as? [String] {
            guard !texts.contains(where: \.isEmpty) else { throw .invalidEmbeddingInput }
            return texts.map { EmbeddingInput(text: $0, tokens: tokens($0)) }
        }
        if let tokenList = tokenList(items) { return [tokenList] }
        var lists: [EmbeddingInput] = []
        for item in items {
            guard let list = item as? [Any], let tokenList = tokenList(list) else { throw .invalidEmbeddingInput }
            lists.append(tokenList)
        }
        return lists
    }

    private static func tokenList(_ items: [Any]) -> EmbeddingInput? {
        guard !items.isEmpty else { return nil }
        var ids: [String] = []
        for item in items {
            guard let number = JSONNumberKind.number(item), JSONNumberKind(number) == .integer else { return nil }
            ids.append(String(number.int64Value))
        }
        return EmbeddingInput(text: "tokens:" + ids.joined(separator: ","), tokens: Int64(ids.count))
    }
}
