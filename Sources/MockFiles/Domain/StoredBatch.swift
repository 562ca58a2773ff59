/// A batch as the store keeps it: what was asked, what validation found, and the schedule its
/// life follows. Nothing here changes as the batch runs: its status, times and counts at any
/// moment are `BatchLifecycle`'s function of this row and the clock. Only a cancel (a moment) and
/// the result files (made once, when the schedule says) are written later.
public struct StoredBatch: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var endpoint: String
    public var inputFileID: String
    public var completionWindow: String
    /// Pairs in the order they were sent (the service echoes them so).
    public var metadata: [MetadataPair]?
    /// `output_expires_after.seconds`: the result files expire this long after they are made.
    public var outputLifetimeSeconds: Int64?
    /// The clock's reading at creation, to the millisecond; `created_at` is its whole seconds.
    public var createdAtMilliseconds: Int64
    public var schedule: BatchSchedule
    /// What validation of the input found: how many lines run, the model they name, and which
    /// lines answer with an error (0-based, ascending), or why the whole batch fails.
    public var plan: BatchPlan
    /// The admin batch rules that decide some of its lines' answers, as JSON, captured at
    /// creation so that later rule changes leave the batch's answers as they were.
    public var rules: String?
    /// When a cancel was asked for (milliseconds), if one was.
    public var cancelRequestedAtMilliseconds: Int64?
    /// The result files and the answered lines' tokens, set together, once, when the batch
    /// settles (`resultsMade`).
    public var outputFileID: String?
    public var errorFileID: String?
    public var usage = BatchUsage()
    public var resultsMade = false

    public var createdAt: Int64 { createdAtMilliseconds.floorDivided(by: 1000) }
    /// The 24-hour window, from `created_at` (every recorded batch: `created_at` + 86400).
    public var expiresAt: Int64 { createdAt.saturatingAdd(86_400) }
    /// When its result files are due (stored, so the sweeper finds due batches by index).
    public var resultsDueAtMilliseconds: Int64? { BatchLifecycle.settlement(of: self)?.at }
    /// When it reaches its final status (stored with its end event, so the sender finds the
    /// events due by index).
    public var endsAtMilliseconds: Int64 { BatchLifecycle.end(of: self).at }

}

/// One key and value of a batch's `metadata`.
public struct MetadataPair: Sendable, Equatable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// What validating a batch's input decided.
public enum BatchPlan: Sendable, Equatable, Codable {
    /// The lines run: `lines` of them, in order, those at `failingLines` answering with an error.
    case run(lines: Int64, model: String?, failingLines: [Int64])
    /// The batch fails when validation ends, with these errors (`errors.data`).
    case fail([BatchLineError])
}

/// One item of a failed batch's `errors.data`.
public struct BatchLineError: Sendable, Equatable, Codable {
    public var code: String
    public var message: String
    public var param: String?
    /// 1-based, as the service counts them; nil for an error of the whole file.
    public var line: Int64?

    public init(code: String, message: String, param: String? = nil, line: Int64? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.line = line
    }
}

extension Int64 {
    /// Division rounding towards minus infinity (a time before 1970 still falls in its second).
    func floorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
