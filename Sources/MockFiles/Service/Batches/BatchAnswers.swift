import HTTPTypes
import NIOCore

/// What one batch line is answered with.
struct BatchLineAnswer: Sendable {
    /// 200, or the 4xx the endpoint would answer.
    var statusCode: Int
    /// One JSON value in the output line's layout (`JSONWriter.Layout.spaced`), to be placed as
    /// `response.body` of the line.
    var body: [UInt8]
    /// This line's tokens, summed into the Batch object's `usage`.
    var usage: BatchUsage

    /// A line the endpoint takes, when only that was asked (`BatchAnswerRequest.writesBody` false).
    static let accepted = BatchLineAnswer(statusCode: 200, body: [], usage: BatchUsage())
}

/// The deterministic answers of a batch's lines: the object each endpoint would answer, written
/// in the service's key order (docs/batches-evidence.md, section 7), with every id and every
/// pseudo-random value derived from SHA-256 of the line's seed, so a line gives the same bytes
/// run to run. Embedding vectors and moderation scores derive from the input instead, so equal
/// inputs get equal vectors in any line.
///
/// Token rule (the README's answer-sources table quotes it): a text costs ceil(UTF-8 bytes / 4)
/// tokens. Chat and Responses input: 3, plus for every message 4 and its text (an image part 85);
/// Responses' `instructions` count as one more message, a string `input` as one user message.
/// Completions, embeddings and image prompts: the text alone (a token array: its length).
/// Output: the answer's text by the same rule, per choice; a `max_tokens` /
/// `max_completion_tokens` / `max_output_tokens` under it cuts the text to 4 × that many bytes and
/// the answer says `length` / `incomplete`. Moderations and videos report no tokens. Images:
/// the prompt as text tokens, 194 image tokens per input image of an edit, and per output image
/// the published gpt-image-1 cost of its quality and size (1056 for medium 1024x1024).
/// ("Hello, world!" as one chat message is 3 + 4 + 4 = 11 tokens, as ChatTests/HelloWorldChat recorded.)
///
/// The answer text is the mock's own and quotes the first words of the last user message, so
/// tests can tell lines apart: `This is a mock answer from mockfiles to: "Hello, world!"`.
///
/// Shapes, evidence or choice:
/// - Evidence (the .NET SDK's session records): chat completion (`ChatTests/HelloWorldChat`,
///   2026-02-13), response (`ResponsesTests/OutputTextMethod`, 2025-09-29), embeddings
///   (`EmbeddingsTests/GenerateSingleEmbedding`, `BadOptions`), moderation
///   (`ModerationsTests/ClassifyTextWithSingleString`, 2026-01-15), images
///   (`ImagesTests/BasicGenerationWorks`, `ImageEditsTests/GenerateImageEditWorks`, 2026-06-11:
///   `created, background, data [{b64_json}], output_format, quality, size, usage`, whose
///   `b64_json` is the same 1×1 PNG answered here).
/// - Choice: the legacy completion's key order (no recording; the API reference's example
///   `id, object, created, model, choices [{text, index, logprobs, finish_reason}], usage`);
///   the video object (no recording; the fields of openai-python's `types/video.py` in the
///   order of the API reference's example, status `completed`, progress 100); ids where the
///   recordings are sanitized (`system_fingerprint`, `modr-` digits); the error texts marked so
///   in `APIError+BatchAnswers.swift`.
enum BatchAnswers {
    static func answer(endpoint: String, body: [String: Any], seed: String, created: Int64) -> BatchLineAnswer {
        answer(BatchAnswerRequest(body: body, seed: seed, created: created), endpoint: endpoint)
    }

    /// Whether the endpoint takes the line (200) or refuses it, found without writing the answer:
    /// validation asks this of every line, and writing is most of an answer's cost (20,000
    /// embedding lines took 70 s to validate when each vector was written only to be dropped).
    static func statusCode(endpoint: String, body: [String: Any]) -> Int {
        var request = BatchAnswerRequest(body: body, seed: "", created: 0)
        request.writesBody = false
        return answer(request, endpoint: endpoint).statusCode
    }

    /// Every endpoint's checks come before its `request.writesBody` guard, so a refusal is the
    /// same either way.
    private static func answer(_ request: BatchAnswerRequest, endpoint: String) -> BatchLineAnswer {
        do throws(APIError) {
            switch endpoint {
            case "/v1/chat/completions": return try chatCompletion(request)
            case "/v1/responses": return try response(request)
            case "/v1/embeddings": return try embeddings(request)
            case "/v1/completions": return try completion(request)
            case "/v1/moderations": return try moderation(request)
            case "/v1/images/generations": return try images(request, edit: false)
            case "/v1/images/edits": return try images(request, edit: true)
            case "/v1/videos": return try video(request)
            default: throw APIError.invalidURL(method: .post, path: endpoint)
            }
        } catch {
            return BatchLineAnswer(statusCode: Int(error.status.code), body: error.lineBody(), usage: BatchUsage())
        }
    }

    /// The dated model name the service reports for an alias (`gpt-4o-mini` →
    /// `gpt-4o-mini-2024-07-18`); unknown names are returned unchanged. The Batch object's `model`
    /// uses it. Recorded: gpt-4o-mini (ChatTests, 2026), gpt-5.4-pro (a batch quoted in
    /// ProjectTech4DevAI/kaapi-backend#723); the rest are the snapshots the model pages name.
    static func datedModel(_ model: String) -> String {
        datedModels[model] ?? model
    }

    static let datedModels: [String: String] = [
        "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
        "gpt-4o": "gpt-4o-2024-08-06",
        "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
        "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
        "gpt-4.1": "gpt-4.1-2025-04-14",
        "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
        "o1": "o1-2024-12-17",
        "o3-mini": "o3-mini-2025-01-31",
        "o3": "o3-2025-04-16",
        "o4-mini": "o4-mini-2025-04-16",
        "gpt-5": "gpt-5-2025-08-07",
        "gpt-5-mini": "gpt-5-mini-2025-08-07",
        "gpt-5-nano": "gpt-5-nano-2025-08-07",
        "gpt-5.4-pro": "gpt-5.4-pro-2026-03-05",
    ]

    // MARK: Tokens

    /// ceil(UTF-8 bytes / 4): the token rule's cost of a text.
    static func tokens(_ text: String) -> Int64 {
        Int64((text.utf8.count + 3) / 4)
    }

    /// The answer text: the mock's own words quoting the first eight words of `prompt`.
    static func answerText(quoting prompt: String?, _ opening: String = "This is a mock answer from mockfiles") -> String {
        let (words, more) = firstWords(8, of: prompt ?? "")
        guard !words.isEmpty else { return opening + "." }
        let quoted = words.joined(separator: " ") + (more ? " …" : "")
        return opening + " to: \"" + quoted + "\""
    }

    /// The first `limit` words of `text` (split at whitespace and newlines) and whether another
    /// follows. Reads only as far as that: a prompt may be megabytes, and splitting it whole, by
    /// characters, was most of a long line's answer.
    static func firstWords(_ limit: Int, of text: String) -> (words: [Substring], more: Bool) {
        if let found = firstASCIIWords(limit, of: text) { return found }
        var words: [Substring] = []
        var wordStart: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace || character.isNewline {
                if let start = wordStart { words.append(text[start..<index]) }
                wordStart = nil
            } else if wordStart == nil {
                if words.count == limit { return (words, true) }
                wordStart = index
            }
            index = text.index(after: index)
        }
        if let start = wordStart { words.append(text[start...]) }
        return (words, false)
    }

    /// `firstWords` on bytes while the text read is ASCII, where each byte is a character (`\r\n`
    /// is one, a separator either way) and the separators are tab to carriage return and space:
    /// the character properties were most of a short prompt's answer. Nil at the first other
    /// byte before the answer is known, or right after it (a combining mark joins the byte before).
    private static func firstASCIIWords(_ limit: Int, of text: String) -> (words: [Substring], more: Bool)? {
        let bytes = text.utf8
        var words: [Substring] = []
        var wordStart: String.Index?
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte < 0x80 else { return nil }
            if byte == 0x20 || (0x09...0x0D).contains(byte) {
                if let start = wordStart { words.append(text[start..<index]) }
                wordStart = nil
            } else if wordStart == nil {
                if words.count == limit {
                    let next = bytes.index(after: index)
                    return next < bytes.endIndex && bytes[next] >= 0x80 ? nil : (words, true)
                }
                wordStart = index
            }
            bytes.formIndex(after: &index)
        }
        if let start = wordStart { words.append(text[start...]) }
        return (words, false)
    }

    /// `text` cut to what `limit` tokens of the rule hold (4 bytes each, at a character
    /// boundary), and whether it was cut.
    static func cut(_ text: String, toTokens limit: Int64?) -> (text: String, cut: Bool) {
        guard let limit, tokens(text) > limit else { return (text, false) }
        var kept = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            if Int64(bytes + size) > 4 * max(0, limit) { break }
            kept.append(character)
            bytes += size
        }
        return (kept, true)
    }

    /// The finished body of one answer, written in the output line's layout.
    static func write(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter(layout: .spaced, capacity: 1024)
        body(&json)
        return Array(json.finish().readableBytesView)
    }
}
