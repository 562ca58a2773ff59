/// `/v1/moderations`: nothing flagged, in the key order of
/// ModerationsTests/ClassifyTextWithSingleString (2026-01-15, omni-moderation-latest).
extension BatchAnswers {
    /// The recorded order of the 13 categories.
    static let moderationCategories = [
        "harassment", "harassment/threatening", "sexual", "hate", "hate/threatening", "illicit", "illicit/violent",
        "self-harm/intent", "self-harm/instructions", "self-harm", "sexual/minors", "violence", "violence/graphic",
    ]

    /// The categories the service also scores images for (its moderation guide); the rest apply
    /// to text only.
    private static let imageCategories: Set = ["sexual", "self-harm/intent", "self-harm/instructions", "self-harm", "violence", "violence/graphic"]

    static func moderation(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        guard let input = request.value("input") else { throw .missingParameter("input") }
        let model = try request.string("model") ?? "omni-moderation-latest"
        let inputs = try moderationInputs(input)
        guard request.writesBody else { return .accepted }
        var random = BatchAnswerRandom(request.seed, "moderation")
        let body = request.write { json in
            json.beginObject()
            // The recording's id is `modr-` and digits (`modr-533`); 7 of them keep lines apart.
            json.field("id", "modr-" + String(random.next() % 10_000_000))
            json.field("model", model)
            json.key("results")
            json.beginArray()
            for input in inputs {
                json.beginObject()
                json.field("flagged", false)
                json.key("categories")
                json.beginObject()
                for category in moderationCategories {
                    json.dynamicKey(category)
                    json.bool(false)
                }
                json.endObject()
                json.key("category_scores")
                json.beginObject()
                // Small scores seeded by the input, so equal inputs score alike in any line.
                var scores = BatchAnswerRandom(model + "\u{0}" + input.text, "category_scores")
                for category in moderationCategories {
                    json.dynamicKey(category)
                    json.double(scores.unit() * 0.001)
                }
                json.endObject()
                json.key("category_applied_input_types")
                json.beginObject()
                for category in moderationCategories {
                    json.dynamicKey(category)
                    json.beginArray()
                    if input.hasText { json.string("text") }
                    if input.images > 0 && imageCategories.contains(category) { json.string("image") }
                    json.endArray()
                }
                json.endObject()
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        // The answer carries no usage, and the service bills moderation nothing.
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage())
    }

    private struct ModerationInput {
        var text: String
        var hasText: Bool
        var images: Int
    }

    /// A string or a list of strings: a result each. A list of parts (`text`, `image_url`): one
    /// result for them all.
    private static func moderationInputs(_ input: Any) throws(APIError) -> [ModerationInput] {
        if let text = input as? String { return [ModerationInput(text: text, hasText: true, images: 0)] }
        if let texts = input as? [String] { return texts.map { ModerationInput(text: $0, hasText: true, images: 0) } }
        guard let parts = input as? [Any] else { throw .invalidType("input", expected: "a string or an array", got: input) }
        let content = content(of: ["content": parts])
        let hasText = parts.contains { ($0 as? [String: Any])?["type"] as? String == "text" }
        return [ModerationInput(text: content.text, hasText: hasText, images: content.images)]
    }
}
