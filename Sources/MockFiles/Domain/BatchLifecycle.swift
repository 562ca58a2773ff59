/// A batch's status, times and counts at one moment: a pure function of its row and the clock,
/// so every instance answers alike, `POST /admin/clock` moves a batch through its stages at once,
/// and a restart loses nothing (no timer holds state). The stages, in the service's order
/// (docs/batches-evidence.md, section 1):
///
/// - `validating` from creation for `validatingMilliseconds`; then `failed` when validation found
///   errors, else `in_progress`, one line per `millisecondsPerLine`; then `finalizing`; then
///   `completed`.
/// - When the lines would run past the 24-hour window, the batch stops there: `finalizing` from
///   `expires_at`, then `expired` (the lines that ran keep their answers).
/// - A cancel stops the lines at its moment: `cancelling`, then `cancelled` after
///   `cancellingMilliseconds`.
public enum BatchLifecycle {
    public enum Status: String, Sendable {
        case validating, failed
        case inProgress = "in_progress"
        case finalizing, completed, expired, cancelling, cancelled

        /// Whether a cancel is still taken (the service refuses it once a batch has finished).
        public var isCancellable: Bool { self == .validating || self == .inProgress || self == .finalizing }
    }

    /// Everything of a Batch object that changes with time.
    public struct State: Sendable, Equatable {
        public var status: Status
        public var model: String?
        public var errors: [BatchLineError]?
        public var inProgressAt: Int64?
        public var finalizingAt: Int64?
        public var completedAt: Int64?
        public var failedAt: Int64?
        public var expiredAt: Int64?
        public var cancellingAt: Int64?
        public var cancelledAt: Int64?
        public var total: Int64 = 0
        public var completed: Int64 = 0
        public var failed: Int64 = 0
        /// Lines answered so far, in input order (the result files hold these).
        public var linesRun: Int64 = 0
    }

    /// The moments (milliseconds) a batch's life turns on, worked out from its row.
    struct Moments {
        let validated: Int64
        let linesDone: Int64
        let finalized: Int64
        /// When the lines stop to expire: the end of the 24-hour window when they would run past
        /// it, or a batch rule's `expire_after_lines`; nil when they all run.
        let expiry: Int64?
        /// A cancel (asked for, or a batch rule's `cancel_after_lines`) before the batch finished.
        let cancel: Int64?
        /// When the lines stop early: at a cancel, or at the expiry.
        var stop: Int64? {
            [cancel, expiry].compactMap { $0 }.min()
        }
    }

    /// The batch at `now` (the clock's milliseconds).
    public static func state(of batch: StoredBatch, at now: Int64) -> State {
        let schedule = batch.schedule
        let created = batch.createdAtMilliseconds
        let validated = created.saturatingAdd(schedule.validatingMilliseconds)
        let cancel = batch.cancelRequestedAtMilliseconds
        var state = State(status: .validating)
        if let cancel, now >= cancel, cancel < validated {
            // Cancelled while validating: no line ran, no model was named (CGC, LPS).
            return cancelled(state, at: cancel, now: now, schedule: schedule)
        }
        guard now >= validated else { return state }
        switch batch.plan {
        case .fail(let errors):
            state.status = .failed
            state.failedAt = seconds(validated)
            state.errors = errors
            return state
        case .run(let lines, let model, let failingLines):
            let linesDone = validated.saturatingAdd(schedule.runTime(ofLines: lines))
            let finalized = linesDone.saturatingAdd(schedule.finalizingMilliseconds)
            let window = batch.expiresAt.saturatingMultiply(1000)
            // A rule's line count stops the run when that many lines are answered (all of them, at
            // most): it expires or cancels there, even with no line left to run.
            let forcedStop = { (count: Int64?) in count.map { validated.saturatingAdd(schedule.runTime(ofLines: min($0, lines))) } }
            let expiry = [forcedStop(schedule.expireAfterLines), linesDone > window ? window : nil].compactMap { $0 }.min()
            let finished = expiry.map { $0.saturatingAdd(schedule.finalizingMilliseconds) } ?? finalized
            // A cancel counts only while the batch could take one (a restored row may say otherwise).
            let asked = cancel.flatMap { $0 < finished ? $0 : nil }
            let forcedCancel = forcedStop(schedule.cancelAfterLines)
            let moments = Moments(
                validated: validated,
                linesDone: linesDone,
                finalized: finalized,
                expiry: expiry,
                // A rule's cancel at the very end still cancels (lines that take no time end at once).
                cancel: [asked, forcedCancel.flatMap { $0 <= finished ? $0 : nil }].compactMap { $0 }.min()
            )
            state.model = model
            state.inProgressAt = seconds(validated)
            state.total = lines
            let stop = moments.stop.map { min($0, now) } ?? now
            state.linesRun = schedule.linesRun(of: lines, after: stop - validated)
            // A rule's line count also caps the lines run: lines that take no time would otherwise
            // all count at its moment (before that moment, fewer than the count have run anyway).
            for count in [schedule.expireAfterLines, schedule.cancelAfterLines].compactMap({ $0 }) {
                state.linesRun = min(state.linesRun, count)
            }
            state.failed = Int64(failingLines.prefix { $0 < state.linesRun }.count)
            state.completed = state.linesRun - state.failed
            return advance(state, moments: moments, now: now, schedule: schedule)
        }
    }

    /// The stages after `in_progress` began.
    private static func advance(_ running: State, moments: Moments, now: Int64, schedule: BatchSchedule) -> State {
        var state = running
        if let cancel = moments.cancel, cancel == moments.stop, now >= cancel {
            if cancel >= moments.linesDone { state.finalizingAt = seconds(moments.linesDone) }
            return cancelled(state, at: cancel, now: now, schedule: schedule)
        }
        if let window = moments.expiry, window == moments.stop, now >= window {
            state.status = .finalizing
            state.finalizingAt = seconds(window)
            guard now >= window.saturatingAdd(schedule.finalizingMilliseconds) else { return state }
            state.status = .expired
            state.expiredAt = seconds(window.saturatingAdd(schedule.finalizingMilliseconds))
            return state
        }
        guard now >= moments.linesDone else {
            state.status = .inProgress
            return state
        }
        state.finalizingAt = seconds(moments.linesDone)
        guard now >= moments.finalized else {
            state.status = .finalizing
            return state
        }
        state.status = .completed
        state.completedAt = seconds(moments.finalized)
        return state
    }

    private static func cancelled(_ running: State, at cancel: Int64, now: Int64, schedule: BatchSchedule) -> State {
        var state = running
        state.cancellingAt = seconds(cancel)
        let done = cancel.saturatingAdd(schedule.cancellingMilliseconds)
        guard now >= done else {
            state.status = .cancelling
            return state
        }
        state.status = .cancelled
        state.cancelledAt = seconds(done)
        return state
    }

    static func seconds(_ milliseconds: Int64) -> Int64 { milliseconds.floorDivided(by: 1000) }
}

extension BatchLifecycle.State {
    /// The state while the result files of a settled batch are still being made: the stage
    /// before its end (`finalizing`, or `cancelling`), since its files and counts are not there
    /// yet. Only an upstream makes this last (a batch without one settles before it is read).
    var awaitingResults: Self {
        var state = self
        switch status {
        case .completed:
            state.status = .finalizing
            state.completedAt = nil
        case .expired:
            state.status = .finalizing
            state.expiredAt = nil
        case .cancelled:
            state.status = .cancelling
            state.cancelledAt = nil
        default: break
        }
        return state
    }
}

extension BatchLifecycle {
    /// Where a batch's run ends: the moment (milliseconds) it becomes completed, expired or
    /// cancelled, and how many lines ran by then. Its result files are made for that moment;
    /// nil when it makes none (it failed, or was cancelled before a line could run).
    public struct Settlement: Sendable, Equatable {
        public var at: Int64
        public var status: Status
        public var linesRun: Int64
        public var total: Int64
    }

    /// The batch's settlement, from its row alone (a cancel recorded later changes it).
    public static func settlement(of batch: StoredBatch) -> Settlement? {
        let end = state(of: batch, at: .max)
        let moment: Int64?
        switch end.status {
        case .completed, .expired: moment = finalMoment(of: batch, status: end.status)
        case .cancelled where end.inProgressAt != nil: moment = finalMoment(of: batch, status: .cancelled)
        default: moment = nil
        }
        guard let moment else { return nil }
        return Settlement(at: moment, status: end.status, linesRun: end.linesRun, total: end.total)
    }

    /// Where a batch's life ends: the final status it reaches (completed, failed, expired or
    /// cancelled) and the moment (milliseconds) it reaches it, from its row alone. What a
    /// webhook event announces.
    public struct End: Sendable, Equatable {
        public var status: Status
        public var at: Int64
    }

    public static func end(of batch: StoredBatch) -> End {
        let status = state(of: batch, at: .max).status
        return End(status: status, at: finalMoment(of: batch, status: status))
    }

    /// The earliest moment at which `state` reports `status`: found by bisection over the
    /// clock, since the state is monotonic in time and the stages' arithmetic lives in one place.
    private static func finalMoment(of batch: StoredBatch, status: Status) -> Int64 {
        var low = batch.createdAtMilliseconds
        var high = Int64.max
        while low < high {
            let middle = low + (high - low) / 2
            if state(of: batch, at: middle).status == status { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
