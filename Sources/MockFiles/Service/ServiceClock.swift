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

    /// Current time in whole Unix seconds, the resolution of every API timestamp. Every way to set
    /// the clock checks `validRange`; the clamp only keeps a conversion from trapping should a
    /// value ever slip past (a hand-edited database row).
    public var seconds: Int64 { Self.wholeSeconds(now) }

    /// Current time in whole Unix milliseconds (a batch's schedule runs to the millisecond).
    public var milliseconds: Int64 { Int64(saturating: (now * 1000).rounded(.down)) }

    /// 1970 to the end of year 9999: every timestamp the API shows stays a valid Int64 and date,
    /// and milliseconds of it stay exact in a Double.
    public static let validRange = 0.0...253_402_300_799.0

    /// Refuses a time outside `validRange`: the one check of `POST /admin/clock`, the dashboard's
    /// clock form and a snapshot's clock. `param` names the field in the 400.
    public static func check(_ target: Double, param: String?) throws(APIError) {
        guard target.isFinite, validRange.contains(target) else {
            throw .invalid("The clock must stay between 0 and \(Int64(validRange.upperBound)) Unix seconds (got \(target)).", param: param)
        }
    }

    /// A setting made elsewhere (a snapshot, another instance) checked as if it were set now.
    public func check(offset: Double, frozenAt: Double?) throws(APIError) {
        guard offset.isFinite else { throw .invalid("The clock offset must be a finite number (got \(offset)).", param: "clock_offset") }
        try Self.check(frozenAt ?? (systemNow() + offset), param: frozenAt == nil ? "clock_offset" : "clock_frozen_at")
    }

    static func wholeSeconds(_ time: Double) -> Int64 {
        guard time.isFinite else { return 0 }
        return Int64(min(max(time, validRange.lowerBound), validRange.upperBound).rounded(.down))
    }

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

    /// A clock on the same system time, set as this one is now: a change can be worked out on
    /// it and applied here later.
    func copy() -> ServiceClock {
        let copy = ServiceClock(systemNow: systemNow)
        let setting = setting
        copy.apply(offset: setting.offset, frozenAt: setting.frozenAt)
        return copy
    }
}
