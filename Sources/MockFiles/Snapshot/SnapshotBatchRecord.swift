/// `batches/<batch-id>.json`: a batch row whole, as the store keeps it. Its status is never
/// stored (it is `BatchLifecycle`'s function of the row and the clock), so the row and the
/// snapshot's clock bring the batch back in the state it was in, and one still running goes on.
///
/// A batch still to make its results reads its input again when it settles, even when the input
/// file was deleted meanwhile (the store keeps the blob for it). Such an input's bytes travel
/// as `inputs/<file-id>`, before the record, which vouches for them (`inputBlob`).
struct SnapshotBatchRecord: Codable, Equatable {
    /// Size and SHA-256 of the `inputs/<file-id>` entry.
    struct InputBlob: Codable, Equatable {
        var bytes: Int64
        var sha256: String
    }

    var id: String
    var tenant: String
    var endpoint: String
    var inputFileID: String
    var completionWindow: String
    var metadata: [MetadataPair]?
    var outputLifetimeSeconds: Int64?
    var createdAtMilliseconds: Int64
    var schedule: BatchSchedule
    var plan: BatchPlan
    /// The admin batch rules captured at creation, as the JSON text stored.
    var rules: String?
    var cancelRequestedAtMilliseconds: Int64?
    var resultsMade: Bool
    var outputFileID: String?
    var errorFileID: String?
    var usage: BatchUsage
    /// Set when the input's bytes travel as `inputs/<file-id>` (its file row is gone).
    var inputBlob: InputBlob?

    init(_ batch: StoredBatch, inputBlob: InputBlob? = nil) {
        id = batch.id
        tenant = batch.tenant
        endpoint = batch.endpoint
        inputFileID = batch.inputFileID
        completionWindow = batch.completionWindow
        metadata = batch.metadata
        outputLifetimeSeconds = batch.outputLifetimeSeconds
        createdAtMilliseconds = batch.createdAtMilliseconds
        schedule = batch.schedule
        plan = batch.plan
        rules = batch.rules
        cancelRequestedAtMilliseconds = batch.cancelRequestedAtMilliseconds
        resultsMade = batch.resultsMade
        outputFileID = batch.outputFileID
        errorFileID = batch.errorFileID
        usage = batch.usage
        self.inputBlob = inputBlob
    }

    var storedBatch: StoredBatch {
        StoredBatch(
            id: id,
            tenant: tenant,
            endpoint: endpoint,
            inputFileID: inputFileID,
            completionWindow: completionWindow,
            metadata: metadata,
            outputLifetimeSeconds: outputLifetimeSeconds,
            createdAtMilliseconds: createdAtMilliseconds,
            schedule: schedule,
            plan: plan,
            rules: rules,
            cancelRequestedAtMilliseconds: cancelRequestedAtMilliseconds,
            outputFileID: outputFileID,
            errorFileID: errorFileID,
            usage: usage,
            resultsMade: resultsMade
        )
    }

    /// Whether the batch will read its input again: its results are due some day and not made.
    var readsInputAgain: Bool { !resultsMade && BatchLifecycle.settlement(of: storedBatch) != nil }

    enum CodingKeys: String, CodingKey {
        case id, tenant, endpoint, metadata, schedule, plan, rules, usage
        case inputFileID = "input_file_id"
        case completionWindow = "completion_window"
        case outputLifetimeSeconds = "output_lifetime_seconds"
        case createdAtMilliseconds = "created_at_ms"
        case cancelRequestedAtMilliseconds = "cancel_requested_at_ms"
        case resultsMade = "results_made"
        case outputFileID = "output_file_id"
        case errorFileID = "error_file_id"
        case inputBlob = "input_blob"
    }
}
