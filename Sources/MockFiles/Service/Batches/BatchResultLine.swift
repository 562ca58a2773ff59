import NIOCore

/// One line of a batch's output or error file, as the service writes them (docs/batches-evidence.md,
/// section 6): `{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id",
/// "body"}, "error": null}` in Python's default `json.dumps` layout, then `\n`. A line the batch
/// never ran has `response` null and `error` `{code, message}` (that shape and the texts are our
/// choice: no error file was ever recorded).
enum BatchResultLine {
    /// Why a line did not run.
    struct Unrun {
        var code: String
        var message: String
    }

    /// `batch_expired` is claimed by a 2026 report (warmbly/warmbly#333); its message is ours.
    static let expired = Unrun(code: "batch_expired", message: "This request could not be executed before the batch expired.")
    /// Our choice of code and text (the service's is unknown).
    static let cancelled = Unrun(code: "batch_cancelled", message: "This request was not executed because the batch was cancelled.")

    static func write(_ answer: BatchLineAnswer, seed: String, customID: String, created: Int64, into buffer: inout ByteBuffer) {
        var json = begin(seed: seed, customID: customID, created: created, into: &buffer)
        json.key("response")
        json.beginObject()
        json.field("status_code", Int64(answer.statusCode))
        json.field("request_id", requestID(seed: seed))
        json.key("body")
        json.raw(answer.body)
        json.endObject()
        json.key("error")
        json.null()
        end(json, into: &buffer)
    }

    static func write(_ unrun: Unrun, seed: String, customID: String, created: Int64, into buffer: inout ByteBuffer) {
        var json = begin(seed: seed, customID: customID, created: created, into: &buffer)
        json.key("response")
        json.null()
        json.key("error")
        json.beginObject()
        json.field("code", unrun.code)
        json.field("message", unrun.message)
        json.endObject()
        end(json, into: &buffer)
    }

    private static func begin(seed: String, customID: String, created: Int64, into buffer: inout ByteBuffer) -> JSONWriter {
        var json = JSONWriter(layout: .spaced, capacity: 512)
        json.beginObject()
        json.field("id", lineID(seed: seed, created: created))
        json.field("custom_id", customID)
        return json
    }

    private static func end(_ json: consuming JSONWriter, into buffer: inout ByteBuffer) {
        json.endObject()
        var line = json.finish()
        buffer.writeBuffer(&line)
        buffer.writeStaticString("\n")
    }

    /// `batch_req_` + 32 hex: the time-ordered shape of the recorded ids (a Unix second, four
    /// digits, `8190`, sixteen more), derived from the line so a rerun writes the same id.
    static func lineID(seed: String, created: Int64) -> String {
        var random = BatchAnswerRandom(seed, "batch_req")
        return "batch_req_" + BatchAnswerRandom.hexTime(created) + random.hex(4) + "8190" + random.hex(16)
    }

    /// A dashed UUID, as the 2026 capture's `request_id` (openai/openai-python#3071).
    static func requestID(seed: String) -> String {
        var random = BatchAnswerRandom(seed, "request_id")
        var text = Array(random.hex(32).utf8)
        // From the end, so each offset still counts hex digits only.
        for offset in [20, 16, 12, 8] { text.insert(UInt8(ascii: "-"), at: offset) }
        return String(decoding: text, as: UTF8.self)
    }
}
