/// The Batch object, in the service's key order with every time key present (null until its
/// stage comes): docs/batches-evidence.md, section 1. Its answers are indented without a final
/// newline, the cancel answer compact (section 2): the layout is the caller's
/// (`jsonBody(layout:)`).
public struct BatchObject: APIObject {
    public var batch: StoredBatch
    public var state: BatchLifecycle.State

    public init(_ batch: StoredBatch, state: BatchLifecycle.State) {
        self.batch = batch
        self.state = state
    }

    /// Token counts of the lines answered: all zero until the result files are made (as recorded).
    var usage: BatchUsage { state.status.hasResultFiles ? batch.usage : BatchUsage() }

    var capacityHint: Int { 1024 }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", batch.id)
        json.field("object", "batch")
        json.field("endpoint", batch.endpoint)
        json.field("model", state.model)
        json.key("errors")
        writeErrors(to: &json)
        json.field("input_file_id", batch.inputFileID)
        json.field("completion_window", batch.completionWindow)
        json.field("status", state.status.rawValue)
        json.field("output_file_id", state.status.hasResultFiles ? batch.outputFileID : nil)
        json.field("error_file_id", state.status.hasResultFiles ? batch.errorFileID : nil)
        json.field("created_at", batch.createdAt)
        json.field("in_progress_at", state.inProgressAt)
        json.field("expires_at", batch.expiresAt)
        json.field("finalizing_at", state.finalizingAt)
        json.field("completed_at", state.completedAt)
        json.field("failed_at", state.failedAt)
        json.field("expired_at", state.expiredAt)
        json.field("cancelling_at", state.cancellingAt)
        json.field("cancelled_at", state.cancelledAt)
        json.key("request_counts")
        json.beginObject()
        json.field("total", state.total)
        json.field("completed", state.completed)
        json.field("failed", state.failed)
        json.endObject()
        json.key("usage")
        writeUsage(to: &json)
        json.key("metadata")
        writeMetadata(to: &json)
        json.endObject()
    }

    /// `{"object": "list", "data": [...]}` for a failed batch, else null. Item keys in the order
    /// the API reference lists them (the wire order was never captured: our choice).
    private func writeErrors(to json: inout JSONWriter) {
        guard let errors = state.errors else { return json.string(nil) }
        json.beginObject()
        json.field("object", "list")
        json.key("data")
        json.beginArray()
        for error in errors {
            json.beginObject()
            json.field("code", error.code)
            json.field("message", error.message)
            json.field("param", error.param)
            json.field("line", error.line)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    private func writeUsage(to json: inout JSONWriter) {
        json.beginObject()
        json.field("input_tokens", usage.inputTokens)
        json.field("output_tokens", usage.outputTokens)
        json.field("total_tokens", usage.totalTokens)
        json.key("input_tokens_details")
        json.beginObject()
        json.field("cached_tokens", usage.cachedTokens)
        json.endObject()
        json.key("output_tokens_details")
        json.beginObject()
        json.field("reasoning_tokens", usage.reasoningTokens)
        json.endObject()
        json.endObject()
    }

    private func writeMetadata(to json: inout JSONWriter) {
        guard let metadata = batch.metadata else { return json.string(nil) }
        json.beginObject()
        for pair in metadata {
            json.dynamicKey(pair.key)
            json.string(pair.value)
        }
        json.endObject()
    }
}

extension BatchLifecycle.Status {
    /// A batch names its result files once it has finished running lines: completed, expired
    /// and cancelled ones (a failed batch ran none).
    var hasResultFiles: Bool { self == .completed || self == .expired || self == .cancelled }
}

/// `GET /v1/batches`: keys in the recorded order (`object, data, first_id, last_id, has_more`,
/// not the Files list's).
struct BatchListObject: APIObject {
    var page: BatchPage

    init(_ page: BatchPage) { self.page = page }

    var capacityHint: Int { 1024 * (page.batches.count + 1) }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("object", "list")
        json.key("data")
        json.beginArray()
        for batch in page.batches { batch.write(to: &json) }
        json.endArray()
        json.field("first_id", page.batches.first?.batch.id)
        json.field("last_id", page.batches.last?.batch.id)
        json.field("has_more", page.hasMore)
        json.endObject()
    }
}
