import Foundation

/// A batch as both databases store it: scalars in columns, the structured parts (metadata,
/// schedule, plan, usage) as JSON text, which no query looks inside.
struct BatchRow {
    /// Every batch query selects these, in this order (rows are read by position).
    static let columns = """
        id, tenant, endpoint, input_file_id, completion_window, metadata, output_lifetime_seconds, created_at_ms, schedule, plan, \
        rules, cancel_requested_at_ms, results_due_at_ms, results_made, output_file_id, error_file_id, usage
        """

    /// `columns` of the table named `alias` in a join, in the same order.
    static func columns(of alias: String) -> String {
        columns.split(separator: ",").map { "\(alias).\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
    }

    var id: String
    var tenant: String
    var endpoint: String
    var inputFileID: String
    var completionWindow: String
    var metadata: String?
    var outputLifetimeSeconds: Int64?
    var createdAtMilliseconds: Int64
    var schedule: String
    var plan: String
    var rules: String?
    var cancelRequestedAtMilliseconds: Int64?
    var resultsDueAtMilliseconds: Int64?
    var resultsMade: Bool
    var outputFileID: String?
    var errorFileID: String?
    var usage: String

    init(
        id: String,
        tenant: String,
        endpoint: String,
        inputFileID: String,
        completionWindow: String,
        metadata: String?,
        outputLifetimeSeconds: Int64?,
        createdAtMilliseconds: Int64,
        schedule: String,
        plan: String,
        rules: String?,
        cancelRequestedAtMilliseconds: Int64?,
        resultsDueAtMilliseconds: Int64?,
        resultsMade: Bool,
        outputFileID: String?,
        errorFileID: String?,
        usage: String
    ) {
        self.id = id
        self.tenant = tenant
        self.endpoint = endpoint
        self.inputFileID = inputFileID
        self.completionWindow = completionWindow
        self.metadata = metadata
        self.outputLifetimeSeconds = outputLifetimeSeconds
        self.createdAtMilliseconds = createdAtMilliseconds
        self.schedule = schedule
        self.plan = plan
        self.rules = rules
        self.cancelRequestedAtMilliseconds = cancelRequestedAtMilliseconds
        self.resultsDueAtMilliseconds = resultsDueAtMilliseconds
        self.resultsMade = resultsMade
        self.outputFileID = outputFileID
        self.errorFileID = errorFileID
        self.usage = usage
    }

    init(_ batch: StoredBatch) throws {
        self.init(
            id: batch.id,
            tenant: batch.tenant,
            endpoint: batch.endpoint,
            inputFileID: batch.inputFileID,
            completionWindow: batch.completionWindow,
            metadata: try batch.metadata.map(Self.encode),
            outputLifetimeSeconds: batch.outputLifetimeSeconds,
            createdAtMilliseconds: batch.createdAtMilliseconds,
            schedule: try Self.encode(batch.schedule),
            plan: try Self.encode(batch.plan),
            rules: batch.rules,
            cancelRequestedAtMilliseconds: batch.cancelRequestedAtMilliseconds,
            resultsDueAtMilliseconds: batch.resultsDueAtMilliseconds,
            resultsMade: batch.resultsMade,
            outputFileID: batch.outputFileID,
            errorFileID: batch.errorFileID,
            usage: try Self.encode(batch.usage)
        )
    }

    /// The batch this row holds. A JSON column that does not decode (a row written by hand, a
    /// damaged restore) makes the batch one that failed, saying so, rather than a crash or a 500
    /// on every list page that holds it.
    var storedBatch: StoredBatch {
        let damaged = BatchPlan.fail([BatchLineError(code: "invalid_request", message: "mockfiles could not read this batch's stored row.")])
        return StoredBatch(
            id: id,
            tenant: tenant,
            endpoint: endpoint,
            inputFileID: inputFileID,
            completionWindow: completionWindow,
            metadata: metadata.flatMap { Self.decode([MetadataPair].self, $0) },
            outputLifetimeSeconds: outputLifetimeSeconds,
            createdAtMilliseconds: createdAtMilliseconds,
            schedule: Self.decode(BatchSchedule.self, schedule) ?? .zero,
            plan: Self.decode(BatchPlan.self, plan) ?? damaged,
            rules: rules,
            cancelRequestedAtMilliseconds: cancelRequestedAtMilliseconds,
            outputFileID: outputFileID,
            errorFileID: errorFileID,
            usage: Self.decode(BatchUsage.self, usage) ?? BatchUsage(),
            resultsMade: resultsMade
        )
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) -> Value? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension BatchSchedule {
    /// Every stage instant.
    static let zero = BatchSchedule(validatingMilliseconds: 0, millisecondsPerLine: 0, finalizingMilliseconds: 0, cancellingMilliseconds: 0)
}
