/// The test controls every instance must agree on when several share a database: the clock, the
/// fault rules (with their counts) and the request log. One instance alone keeps them in memory
/// and has no such store.
public protocol SharedControlStore: Sendable {
    /// Grows with every change to the clock or the rules: one cheap read tells an instance
    /// whether its copy is current.
    func controlGeneration() async throws -> Int64
    func loadControls() async throws -> SharedControls
    func saveClock(offset: Double, frozenAt: Double?) async throws
    /// Stores a new (already validated) rule under the next `fault_N` id; returns it with that id.
    func insertFaultRule(_ rule: FaultRule) async throws -> FaultRule
    func deleteFaultRule(id: String) async throws -> Bool
    func deleteAllFaultRules() async throws -> Int
    /// In one transaction: the rules are `rules`, ids and counts as given (a snapshot restored).
    func replaceFaultRules(with rules: [FaultRule]) async throws
    /// Counts one firing of the rule, atomically across instances; nil when it is gone or another
    /// instance took its last turn.
    func recordFiring(ofRule id: String) async throws -> FaultRule?
    /// Stores a new (already validated) batch rule under the next `batchrule_N` id; returns it
    /// with that id. Refuses a rule past `BatchRule.maxRules` (`BatchRule.tooMany`).
    func insertBatchRule(_ rule: BatchRule) async throws -> BatchRule
    func deleteBatchRule(id: String) async throws -> Bool
    func deleteAllBatchRules() async throws -> Int
    /// The batch rules are `rules`, ids as given (a snapshot restored).
    func replaceBatchRules(with rules: [BatchRule]) async throws
    /// Appends entries in their order, in one statement, keeping the newest `capacity` of all
    /// instances; committed (visible to every instance) when it returns.
    func appendRequests(_ entries: [RequestLogEntry], capacity: Int) async throws
    /// The newest `capacity` entries of all instances, newest first, each with its `seq`, and
    /// how many were trimmed away since the last clear.
    func requestJournal(capacity: Int) async throws -> RequestJournal
    /// Empties the log; `seq` goes on increasing.
    func clearRequests() async throws -> Int
}

/// The shared clock and rules as one instance loads them.
public struct SharedControls: Sendable {
    public var generation: Int64
    public var clockOffset: Double
    public var clockFrozenAt: Double?
    /// In the order they were added (the first matching rule fires).
    public var faultRules: [FaultRule]
    /// In the order they were added (the first matching rule decides).
    public var batchRules: [BatchRule] = []
}
