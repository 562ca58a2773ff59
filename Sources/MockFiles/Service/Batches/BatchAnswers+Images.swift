/// `/v1/images/generations` and `/v1/images/edits`: the gpt-image object of
/// ImagesTests/BasicGenerationWorks and ImageEditsTests/GenerateImageEditWorks (2026-06-11),
/// every image the 1×1 PNG those recordings hold.
extension BatchAnswers {
    /// A 1×1 PNG, base64: the smallest image a client can decode. Written for every
    /// `output_format`, which is echoed all the same (a choice: no client checks the bytes' format).
    static let onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVQYV2NgAAIAAAUAAarVyFEAAAAASUVORK5CYII="

    /// gpt-image-1's published output tokens per image by quality and size; recorded: high
    /// 1024x1536 6240, medium 1024x1024 1056.
    private static let imageTokens: [String: [String: Int64]] = [
        "low": ["1024x1024": 272, "1024x1536": 408, "1536x1024": 400],
        "medium": ["1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568],
        "high": ["1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208],
    ]

    /// Image tokens of one input image of an edit: the recorded edit's (a choice for any image).
    static let inputImageTokens: Int64 = 194

    static func images(_ request: BatchAnswerRequest, edit: Bool) throws(APIError) -> BatchLineAnswer {
        let prompt = try request.requiredString("prompt")
        _ = try request.string("model")
        var inputImages: Int64 = 0
        if edit {
            if let images = request.value("images") as? [Any] {
                inputImages = Int64(images.count)
            } else if request.value("image") != nil {
                inputImages = 1
            } else {
                throw .missingParameter("images")
            }
        }
        let count = min(10, max(1, try request.integer("n") ?? 1))
        // `auto` and unknown values become what the service answers most often.
        let size = pick(try request.string("size"), from: ["1024x1024", "1024x1536", "1536x1024"], else: "1024x1024")
        let quality = pick(try request.string("quality"), from: ["low", "medium", "high"], else: "medium")
        let background = pick(try request.string("background"), from: ["transparent", "opaque"], else: "opaque")
        let format = pick(try request.string("output_format"), from: ["png", "webp", "jpeg"], else: "png")

        guard request.writesBody else { return .accepted }
        let textTokens = tokens(prompt)
        let imageInputTokens = inputImageTokens * inputImages
        let outputTokens = (imageTokens[quality]?[size] ?? 1056) * count
        let inputTokens = textTokens + imageInputTokens
        let body = request.write { json in
            json.beginObject()
            json.field("created", request.created)
            json.field("background", background)
            json.key("data")
            json.beginArray()
            for _ in 0..<count {
                json.beginObject()
                json.field("b64_json", onePixelPNG)
                json.endObject()
            }
            json.endArray()
            json.field("output_format", format)
            json.field("quality", quality)
            json.field("size", size)
            json.key("usage")
            json.beginObject()
            json.field("input_tokens", inputTokens)
            json.key("input_tokens_details")
            json.beginObject()
            json.field("image_tokens", imageInputTokens)
            json.field("text_tokens", textTokens)
            json.endObject()
            json.field("output_tokens", outputTokens)
            json.key("output_tokens_details")
            json.beginObject()
            json.field("image_tokens", outputTokens)
            json.field("text_tokens", 0 as Int64)
            json.endObject()
            json.field("total_tokens", inputTokens + outputTokens)
            json.endObject()
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage(inputTokens: inputTokens, outputTokens: outputTokens))
    }

    private static func pick(_ value: String?, from allowed: [String], else fallback: String) -> String {
        value.flatMap { allowed.contains($0) ? $0 : nil } ?? fallback
    }
}
