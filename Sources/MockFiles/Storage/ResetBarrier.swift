import NIOConcurrencyHelpers

/// Lets writes run side by side and `POST /admin/reset` run alone. A write that names a blob and
/// then inserts its row must not straddle a reset (rows go first, then every blob): the reset
/// would take the blob and leave the row. A waiting reset holds back new writes, so a steady
/// stream of uploads cannot starve it.
public final class ResetBarrier: Sendable {
    private struct State {
        var writers = 0
        var resetting = false
        var waitingWriters: [CheckedContinuation<Void, Never>] = []
        var waitingResets: [CheckedContinuation<Void, Never>] = []
        var resetsBegun = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// How many resets have begun: work that must not span one (a snapshot staged outside the
    /// barrier) compares the count before and after.
    public var resetsBegun: Int { state.withLockedValue { $0.resetsBegun } }

    /// Runs a write; many may run at once, none while a reset runs.
    public func write<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enterWrite()
        defer { leaveWrite() }
        return try await body()
    }

    /// Runs a reset once every write in progress has finished; writes wait until it is done.
    public func reset<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enterReset()
        defer { leaveReset() }
        return try await body()
    }

    private func enterWrite() async {
        await withCheckedContinuation { continuation in
            let admitted = state.withLockedValue { state in
                guard !state.resetting, state.waitingResets.isEmpty else {
                    state.waitingWriters.append(continuation)
                    return false
                }
                state.writers += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    private func leaveWrite() {
        let next: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            state.writers -= 1
            guard state.writers == 0, !state.waitingResets.isEmpty else { return nil }
            state.resetting = true
            state.resetsBegun += 1
            return state.waitingResets.removeFirst()
        }
        next?.resume()
    }

    private func enterReset() async {
        await withCheckedContinuation { continuation in
            let admitted = state.withLockedValue { state in
                guard !state.resetting, state.writers == 0 else {
                    state.waitingResets.append(continuation)
                    return false
                }
                state.resetting = true
                state.resetsBegun += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    private func leaveReset() {
        let (nextReset, writers): (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) = state.withLockedValue { state in
            if !state.waitingResets.isEmpty {
                state.resetsBegun += 1
                return (state.waitingResets.removeFirst(), [])
            }
            state.resetting = false
            let writers = state.waitingWriters
            state.waitingWriters = []
            state.writers += writers.count
            return (nil, writers)
        }
        nextReset?.resume()
        for writer in writers { writer.resume() }
    }
}
