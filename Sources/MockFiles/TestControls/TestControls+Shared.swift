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
        syncedGeneration.withLockedValue { $0 = controls.generation }
    }

    /// Changes the clock (`change` gets this instance's, current) and shares the result.
    public func changeClock(_ change: (ServiceClock) -> Void) async throws {
        try await synchronize()
        change(files.clock)
        guard let shared else { return }
        let setting = files.clock.setting
        try await shared.saveClock(offset: setting.offset, frozenAt: setting.frozenAt)
    }

    /// The rule that fires for this request, counted; nil when none does. With a shared store a
    /// rule with a count fires only while the database still has a turn left for it.
    public func fireFault(method: String, path: String, apiKey: String?) async throws -> FaultRule? {
        try await synchronize()
        guard let rule = faults.fire(method: method, path: path, apiKey: apiKey) else { return nil }
        guard let shared else { return rule }
        return try await shared.recordFiring(ofRule: rule.id)
    }

    public func faultRules() async throws -> [FaultRule] {
        guard let shared else { return faults.rules }
        return try await shared.loadControls().faultRules
    }

    public func addFault(_ make: (String) throws -> FaultRule) async throws -> FaultRule {
        guard let shared else { return try faults.add(make) }
        // Validated before the database is touched: a refused rule is a 400, not a rolled-back write.
        let rule = try await shared.insertFaultRule(try make("fault_new"))
        try await synchronize()
        return rule
    }

    public func removeFault(id: String) async throws -> Bool {
        guard let shared else { return faults.remove(id: id) }
        defer { faults.remove(id: id) }
        return try await shared.deleteFaultRule(id: id)
    }

    public func removeAllFaults() async throws -> Int {
        guard let shared else { return faults.removeAll() }
        faults.removeAll()
        return try await shared.deleteAllFaultRules()
    }

    /// Sets the clock and the rules as a snapshot saved them.
    public func restore(clockOffset: Double, clockFrozenAt: Double?, faultRules: [FaultRule]) async throws {
        files.clock.apply(offset: clockOffset, frozenAt: clockFrozenAt)
        faults.restore(faultRules)
        guard let shared else { return }
        try await shared.saveClock(offset: clockOffset, frozenAt: clockFrozenAt)
        try await shared.replaceFaultRules(with: faultRules)
    }

    /// Records an answered request; shared, it is in the log before the answer goes out, so a
    /// test reading the log through any instance right after sees it.
    public func recordRequest(_ entry: RequestLogEntry) async throws {
        guard let shared else { return recordRequestLocally(entry) }
        // In a task of its own: a request whose connection a fault dropped is cancelled, and its
        // entry must still reach the shared log. Alone, the append is synchronous and needs none.
        let capacity = requestLog.capacity
        try await Task { try await shared.appendRequest(entry, capacity: capacity) }.value
    }

    /// Whether a request can be answered without asking anyone: this instance alone (no shared
    /// controls to synchronize, its request log its own) and no fault rule in force. Asked by
    /// `DirectFileReads` for each request, which then records with `recordRequestLocally`.
    var answersLocallyWithoutFaults: Bool { shared == nil && faults.isEmpty }

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
