/// The batch rules' operations, in memory (and saved with the clock) when alone, through the
/// shared store when several instances share one; like the fault rules'.
extension TestControls {
    /// The rules a batch created now is decided by: this instance's copy, brought up to date.
    public func batchRulesInForce() async throws -> [BatchRule] {
        try await synchronize()
        return batchRules.rules
    }

    public func listBatchRules() async throws -> [BatchRule] {
        guard let shared else { return batchRules.rules }
        return try await shared.loadControls().batchRules
    }

    public func addBatchRule(_ make: (String) throws -> BatchRule) async throws -> BatchRule {
        try await synchronize()
        guard let shared else {
            let rule = try batchRules.add(make)
            try await save()
            return rule
        }
        // Checked before the database is touched: a refused rule is a 400, not a rolled-back write.
        let rule = try await shared.insertBatchRule(try make("batchrule_new"))
        try await synchronize()
        return rule
    }

    public func removeBatchRule(id: String) async throws -> Bool {
        guard let shared else {
            let removed = batchRules.remove(id: id)
            try await save()
            return removed
        }
        defer { _ = batchRules.remove(id: id) }
        return try await shared.deleteBatchRule(id: id)
    }

    public func removeAllBatchRules() async throws -> Int {
        guard let shared else {
            let removed = batchRules.removeAll()
            try await save()
            return removed
        }
        _ = batchRules.removeAll()
        return try await shared.deleteAllBatchRules()
    }
}
