import NIOConcurrencyHelpers

/// The controls' operations, each in memory when alone and through the shared store when several
/// instances share one (see `TestControls`).
extension TestControls {
    /// Brings this instance's clock and rules up to date with the shared ones; nothing when alone.
    public func synchronize() async throws {
        guard let shared else { return }
        let generation = try await shared.controlGeneration()
        guard generation != syncedGeneration.withLockedValue({ $0 }) else { return }
        let controls = try await shared.loadControls()
        files.clock.apply(offset: controls.clockOffset, frozenAt: controls.clockFrozenAt)
        faults.replaceAll(with: controls.faultRules)
        batchRules.replaceAll(with: controls.batchRules)
        syncedGeneration.withLockedValue { $0 = controls.generation }
    }

    /// Runs `read`, a request that changes nothing, with this instance's clock and rules as they
    /// are, without asking the database first: the read's own statements also read the controls'
    /// generation (`ControlsGenerationProbe`). When they saw the generation this copy reflects,
    /// the answer is the one `synchronize` then `read` would have given: the statements ran after
    /// the request arrived, so a change made anywhere before then would show as a newer
    /// generation. Otherwise (a change came in, or nothing read the generation, as when a request
    /// is refused before any read) the answer is dropped and nil returned, for the caller to
    /// synchronize and answer again. Shared controls only; a read with faults in force here is
    /// not answered this way (the caller checks).
    func answerIfControlsCurrent<Answer>(_ read: () async throws -> Answer) async throws -> Answer? {
        let expected = syncedGeneration.withLockedValue { $0 }
        let probe = ControlsGenerationProbe()
        let answer: Result<Answer, any Error>
        do {
            answer = .success(try await ControlsGenerationProbe.$current.withValue(probe) { try await read() })
        } catch {
            answer = .failure(error)
        }
        guard probe.saw(only: expected) else { return nil }
        return try answer.get()
    }

    /// Changes the clock (`change` gets this instance's, current) and shares the result.
    public func changeClock(_ change: (ServiceClock) -> Void) async throws {
        try await synchronize()
        guard let shared else {
            change(files.clock)
            return try await save()
        }
        // Worked out on a copy and stored before it is applied here: another request's
        // `synchronize` may apply the stored clock at any moment, and between a change made here
        // and its reading back for the store it undid the change, which was then stored undone.
        let draft = files.clock.copy()
        change(draft)
        let setting = draft.setting
        try await shared.saveClock(offset: setting.offset, frozenAt: setting.frozenAt)
        files.clock.apply(offset: setting.offset, frozenAt: setting.frozenAt)
    }

    /// The rule that fires for this request, counted; nil when none does. With a shared store a
    /// rule with a count fires only while the database still has a turn left for it.
    public func fireFault(method: String, path: String, apiKey: String?) async throws -> FaultRule? {
        try await synchronize()
        guard let rule = faults.fire(method: method, path: path, apiKey: apiKey) else { return nil }
        guard let shared else {
            // A rule with a count keeps its count across a restart; an unlimited one has none to keep.
            if rule.remaining != nil { try await save() }
            return rule
        }
        return try await shared.recordFiring(ofRule: rule.id)
    }

    public func faultRules() async throws -> [FaultRule] {
        guard let shared else { return faults.rules }
        return try await shared.loadControls().faultRules
    }

    public func addFault(_ make: (String) throws -> FaultRule) async throws -> FaultRule {
        try await synchronize()
        // Instances adding at the same moment may each pass this check once: the bound stays
        // `maxRules` plus the number of instances.
        guard faults.count < FaultRule.maxRules else {
            throw APIError.invalid(
                "There are already \(FaultRule.maxRules) fault rules; remove some (DELETE /admin/faults) before adding more.",
                param: nil,
                code: "too_many_fault_rules"
            )
        }
        guard let shared else {
            let rule = try faults.add(make)
            try await save()
            return rule
        }
        // Validated before the database is touched: a refused rule is a 400, not a rolled-back write.
        let rule = try await shared.insertFaultRule(try make("fault_new"))
        try await synchronize()
        return rule
    }

    public func removeFault(id: String) async throws -> Bool {
        guard let shared else {
            let removed = faults.remove(id: id)
            try await save()
            return removed
        }
        defer { faults.remove(id: id) }
        return try await shared.deleteFaultRule(id: id)
    }

    public func removeAllFaults() async throws -> Int {
        guard let shared else {
            let removed = faults.removeAll()
            try await save()
            return removed
        }
        faults.removeAll()
        return try await shared.deleteAllFaultRules()
    }

    /// Sets the clock and the rules as a snapshot saved them (checked by the snapshot's reader).
    public func restore(clockOffset: Double, clockFrozenAt: Double?, faultRules: [FaultRule], batchRules: [BatchRule] = []) async throws {
        files.clock.apply(offset: clockOffset, frozenAt: clockFrozenAt)
        faults.restore(faultRules)
        self.batchRules.replaceAll(with: batchRules)
        guard let shared else { return try await save() }
        try await shared.saveClock(offset: clockOffset, frozenAt: clockFrozenAt)
        try await shared.replaceFaultRules(with: faultRules)
        try await shared.replaceBatchRules(with: batchRules)
    }

    /// Records an answered request; shared, it is in the log before the answer goes out, so a
    /// test reading the log through any instance right after sees it.
    public func recordRequest(_ entry: RequestLogEntry) async throws {
        guard let sharedLog else { return recordRequestLocally(entry) }
        try await sharedLog.append(entry)
    }

    /// Appends to this instance's own request log; only without shared controls.
    func recordRequestLocally(_ entry: RequestLogEntry) {
        assert(shared == nil, "a shared request log is written through recordRequest")
        requestLog.append(entry)
    }

    /// The log as it is now, newest first: this instance's, or the one all instances share.
    public func requestJournal() async throws -> RequestJournal {
        guard let shared else { return requestLog.journal() }
        return try await shared.requestJournal(capacity: requestLog.capacity)
    }

    public func clearRequests() async throws -> Int {
        guard let shared else { return requestLog.clear() }
        return try await shared.clearRequests()
    }
}

/// Alone, the clock and rules are written to the database on every change (`SavedControlStore`)
/// and taken up again when a server starts on the same data directory.
extension TestControls {
    /// Takes up what the data directory holds (start-up, and before an offline export).
    public func loadSavedControls() async throws {
        guard let saved, let controls = try await saved.savedControls() else { return }
        try files.clock.check(offset: controls.clockOffset, frozenAt: controls.clockFrozenAt)
        files.clock.apply(offset: controls.clockOffset, frozenAt: controls.clockFrozenAt)
        faults.restore(controls.faultRules)
        batchRules.replaceAll(with: controls.batchRules)
    }

    func save() async throws {
        guard let saved else { return }
        let setting = files.clock.setting
        try await saved.saveControls(
            SavedControls(clockOffset: setting.offset, clockFrozenAt: setting.frozenAt, faultRules: faults.rules, batchRules: batchRules.rules)
        )
    }
}
