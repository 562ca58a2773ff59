/// Decides which instance runs a periodic job (the expiry sweep) when several share a store.
public protocol LeaseStore: Sendable {
    /// True when `holder` holds the lease `name` now: it was free, had lapsed, or was already
    /// `holder`'s. A held lease lasts `seconds` from this call, measured by the store's own clock.
    func acquireLease(_ name: String, holder: String, seconds: Int) async throws -> Bool
}

/// One instance alone: every lease is always its own.
public struct LocalLeases: LeaseStore {
    public init() {}
    public func acquireLease(_ name: String, holder: String, seconds: Int) async throws -> Bool { true }
}
