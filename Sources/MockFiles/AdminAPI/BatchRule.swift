/// A batch rule (`/admin/batch-rules`): which batches, and which of their lines, it matches, and
/// what it decides for them: a line's answer, error or extra run time, or the batch's whole
/// outcome (fail, expire or cancel after N lines) and stage times. docs/admin-api.md has every
/// field. Rules are read when a batch is created (`BatchService.create`): the batch keeps what
/// they decided (its schedule and plan, and the line rules in its row), so changing the rules
/// later leaves it as it was.
///
/// Every way in (the API's JSON, a stored or archived list) goes through `init(json:id:)`, so no
/// rule in force holds a value the API would refuse.
public struct BatchRule: Sendable, Equatable {
    /// Most rules in force at once.
    public static let maxRules = 1000
    /// Longest JSON body of `POST /admin/batch-rules`.
    static let maxJSONBytes = 64 << 10
    /// The longest stage or line delay a rule may set: a batch's whole window.
    static let maxMilliseconds: Int64 = 86_400_000

    public var id: String
    var match: Match
    /// Set for a rule that decides lines.
    var line: LineAction?
    /// Set for a rule that decides a whole batch.
    var batch: BatchAction?

    /// Every field optional; all those given must hold.
    struct Match: Sendable, Equatable {
        // Which batches.
        var endpoint: String?
        var inputFileID: String?
        var metadata: [String: String]?
        // Which lines (line rules only).
        var customID: String?
        var model: String?
        var body: [String: JSONValue]?

        var namesLineField: String? {
            if customID != nil { return "custom_id" }
            if model != nil { return "model" }
            if body != nil { return "body" }
            return nil
        }
    }

    struct LineAction: Sendable, Equatable {
        /// A 200 with this body.
        var answer: JSONValue?
        var error: LineError?
        var delayMilliseconds: Int64 = 0
    }

    /// An error answer: `body` as given, or the API's envelope from the other fields.
    struct LineError: Sendable, Equatable {
        var statusCode: Int
        var body: JSONValue?
        var message: String?
        var type: String?
        var code: String?
        var param: String?
    }

    struct BatchAction: Sendable, Equatable {
        /// The batch fails; nil errors: the rule's default error.
        var fail: Fail?
        var expireAfterLines: Int64?
        var cancelAfterLines: Int64?
        var schedule: ScheduleChange?
    }

    struct Fail: Sendable, Equatable {
        var errors: [BatchLineError]?
    }

    /// The stage times a rule sets; those it leaves nil keep the setting's.
    struct ScheduleChange: Sendable, Equatable {
        var validatingMilliseconds: Int64?
        var millisecondsPerLine: Int64?
        var finalizingMilliseconds: Int64?
        var cancellingMilliseconds: Int64?
    }
}

extension BatchRule {
    /// Whether the rule applies to a batch with these values (the line fields aside).
    func applies(toEndpoint endpoint: String, inputFileID: String, metadata: [MetadataPair]?) -> Bool {
        if let wanted = match.endpoint, !wanted.utf8.elementsEqual(endpoint.utf8) { return false }
        if let wanted = match.inputFileID, !wanted.utf8.elementsEqual(inputFileID.utf8) { return false }
        for (key, value) in match.metadata ?? [:] {
            guard let pair = metadata?.first(where: { $0.key.utf8.elementsEqual(key.utf8) }), pair.value.utf8.elementsEqual(value.utf8)
            else { return false }
        }
        return true
    }

    /// Applies a batch rule's stage times and early end to `schedule`.
    func adjust(_ schedule: inout BatchSchedule) {
        guard let batch else { return }
        if let change = batch.schedule {
            schedule.validatingMilliseconds = change.validatingMilliseconds ?? schedule.validatingMilliseconds
            schedule.millisecondsPerLine = change.millisecondsPerLine ?? schedule.millisecondsPerLine
            schedule.finalizingMilliseconds = change.finalizingMilliseconds ?? schedule.finalizingMilliseconds
            schedule.cancellingMilliseconds = change.cancellingMilliseconds ?? schedule.cancellingMilliseconds
        }
        schedule.expireAfterLines = batch.expireAfterLines
        schedule.cancelAfterLines = batch.cancelAfterLines
    }

    /// The `errors.data` of a batch this rule fails; nil when it does not fail batches.
    var failure: [BatchLineError]? {
        guard let fail = batch?.fail else { return nil }
        return fail.errors ?? [BatchLineError(code: "invalid_request", message: "Batch failed by mockfiles batch rule \(id).")]
    }
}
