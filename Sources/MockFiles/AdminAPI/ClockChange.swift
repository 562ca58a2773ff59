/// A change of the service clock: a new time, an advance, freezing or unfreezing, in any mix.
/// `POST /admin/clock` and the dashboard's clock form both come here; the change is checked whole
/// before anything moves, so a refused one leaves the clock as it was.
public struct ClockChange: Sendable, Equatable {
    public var now: Double?
    public var advanceSeconds: Double?
    public var frozen: Bool?

    public init(now: Double? = nil, advanceSeconds: Double? = nil, frozen: Bool? = nil) {
        self.now = now
        self.advanceSeconds = advanceSeconds
        self.frozen = frozen
    }
}

extension TestControls {
    /// Applies `change` (freeze first, unfreeze last, so a frozen clock moves exactly as asked).
    public func apply(_ change: ClockChange) async throws {
        guard change.now != nil || change.advanceSeconds != nil || change.frozen != nil else {
            throw APIError.invalid("Send one of 'advance_seconds', 'now' or 'frozen'.", param: nil)
        }
        try ServiceClock.check(
            (change.now ?? files.clock.now) + (change.advanceSeconds ?? 0),
            param: change.advanceSeconds == nil ? "now" : "advance_seconds"
        )
        try await changeClock { clock in
            if change.frozen == true { clock.freeze() }
            if let now = change.now { clock.set(to: now) }
            if let advance = change.advanceSeconds { clock.advance(by: advance) }
            if change.frozen == false { clock.unfreeze() }
        }
    }
}
