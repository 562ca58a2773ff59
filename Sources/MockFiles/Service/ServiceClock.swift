import Foundation
import NIOConcurrencyHelpers

/// The one clock every timestamp, expiry check and sweep reads. Tests (and the admin API)
/// can freeze it, set it or move it forward; by default it follows the system clock.
public final class ServiceClock: Sendable {
    private struct State {
        /// Seconds added to the system clock.
        var offset: Double = 0
        /// When set, time stands still at this instant.
        var frozenAt: Double?
    }

    private let state = NIOLockedValueBox(State())
    private let systemNow: @Sendable () -> Double

    public init(systemNow: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.systemNow = systemNow
    }

    /// Current time in Unix seconds with fractions.
    public var now: Double {
        state.withLockedValue { state in state.frozenAt ?? (systemNow() + state.offset) }
    }

    /// Current time in whole Unix seconds, the resolution of every API timestamp.
    public var seconds: Int64 { Int64(now.rounded(.down)) }

    /// Moves the clock forward (or backward, with a negative amount).
    public func advance(by seconds: Double) {
        state.withLockedValue { state in
            if let frozen = state.frozenAt {
                state.frozenAt = frozen + seconds
            } else {
                state.offset += seconds
            }
        }
    }

    /// Sets the current time; the clock keeps running from there unless frozen.
    public func set(to time: Double) {
        state.withLockedValue { state in
            if state.frozenAt != nil {
                state.frozenAt = time
            } else {
                state.offset = time - systemNow()
            }
        }
    }

    public func freeze() {
        state.withLockedValue { state in state.frozenAt = state.frozenAt ?? (systemNow() + state.offset) }
    }

    public func unfreeze() {
        state.withLockedValue { state in
            if let frozen = state.frozenAt {
                state.offset = frozen - systemNow()
                state.frozenAt = nil
            }
        }
    }

    public var isFrozen: Bool { state.withLockedValue { $0.frozenAt != nil } }

    /// What the clock holds, for sharing it with other instances: the offset from the system
    /// clock, and the instant it stands at when frozen.
    public var setting: (offset: Double, frozenAt: Double?) {
        state.withLockedValue { ($0.offset, $0.frozenAt) }
    }

    /// Takes over a setting another instance made.
    public func apply(offset: Double, frozenAt: Double?) {
        state.withLockedValue { state in
            state.offset = offset
            state.frozenAt = frozenAt
        }
    }
}
