/// Where a server alone (the embedded default) keeps its clock, fault rules and batch rules: in its database,
/// beside the files, so that the data directory holds the whole state a snapshot carries. A server
/// started on the directory takes them up; `mockfiles snapshot import` restores them offline through
/// the same `TestControls.restore` as `POST /admin/snapshot`. (Several instances keep them in their
/// `SharedControlStore` instead, which survives restarts the same way.)
public protocol SavedControlStore: Sendable {
    /// The clock setting and the rules as they are now, replacing what was saved.
    func saveControls(_ controls: SavedControls) async throws
    /// What was saved last; nil when nothing ever was. A rule is checked as the API checks it.
    func savedControls() async throws -> SavedControls?
}

public struct SavedControls: Sendable, Equatable {
    public var clockOffset: Double
    public var clockFrozenAt: Double?
    public var faultRules: [FaultRule]
    public var batchRules: [BatchRule] = []
}
