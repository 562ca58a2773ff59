/// `/v1/videos`: a video job already `completed`. No recording exists: the fields are
/// openai-python's `types/video.py`, in the order of the API reference's example (`id, object,
/// model, status, progress, created_at, size, seconds`) and then the rest, a choice.
extension BatchAnswers {
    static func video(_ request: BatchAnswerRequest) throws(APIError) -> BatchLineAnswer {
        _ = try request.requiredString("prompt")
        // The endpoint's documented defaults.
        let model = try request.string("model") ?? "sora-2"
        let seconds = try request.string("seconds") ?? "4"
        let size = try request.string("size") ?? "720x1280"
        guard request.writesBody else { return .accepted }
        var random = BatchAnswerRandom(request.seed, "video")
        // The shape of the reference's ids (`video_68d7512d07848190…`, 48 hex digits): the time,
        // 4 random digits, `8190`, 32 random.
        let id = "video_" + BatchAnswerRandom.hexTime(request.created) + random.hex(4) + "8190" + random.hex(32)
        let body = request.write { json in
            json.beginObject()
            json.field("id", id)
            json.field("object", "video")
            json.field("model", model)
            json.field("status", "completed")
            json.field("progress", 100 as Int64)
            json.field("created_at", request.created)
            json.field("completed_at", request.created)
            // A day to download the content: the mock's choice, as its batches' window.
            json.field("expires_at", request.created.saturatingAdd(86_400))
            json.field("size", size)
            json.field("seconds", seconds)
            json.field("remixed_from_video_id", nil as String?)
            json.field("error", nil as String?)
            json.endObject()
        }
        return BatchLineAnswer(statusCode: 200, body: body, usage: BatchUsage())
    }
}
