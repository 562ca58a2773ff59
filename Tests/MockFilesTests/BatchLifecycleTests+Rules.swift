import Testing

@testable import MockFiles

/// What batch rules add to a batch's life (issue 33, item 4): slow lines, and a run that ends
/// early by expiry or cancel after N lines. Still a pure function of the row and the clock.
extension BatchLifecycleTests {
    /// Lines 1 and 4 of 10 take 500 and 250 ms more (100 ms per line).
    static let slowed: BatchSchedule = {
        var schedule = BatchLifecycleTests.schedule
        schedule.lineDelays = [BatchLineDelay(line: 1, totalMilliseconds: 500), BatchLineDelay(line: 4, totalMilliseconds: 750)]
        return schedule
    }()

    @Test func aDelayedLineHoldsBackItAndEveryLineAfterIt() {
        let batch = Self.batch(schedule: Self.slowed)
        // Line 0 at 1100; line 1 at 1000 + 200 + 500 = 1700; line 3 at 1900; line 4 at 1000 + 500 + 750 = 2250.
        #expect(Self.state(batch, after: 1100).linesRun == 1)
        #expect(Self.state(batch, after: 1699).linesRun == 1)
        #expect(Self.state(batch, after: 1700).linesRun == 2)
        #expect(Self.state(batch, after: 1899).linesRun == 3)
        #expect(Self.state(batch, after: 1900).linesRun == 4)
        #expect(Self.state(batch, after: 2249).linesRun == 4)
        #expect(Self.state(batch, after: 2250).linesRun == 5)
        // All ten at 1000 + 1000 + 750; then a second of finalizing.
        #expect(Self.state(batch, after: 2749).status == .inProgress)
        #expect(Self.state(batch, after: 2750).status == .finalizing)
        let completed = Self.state(batch, after: 3750)
        #expect(completed.status == .completed && completed.completed == 8 && completed.failed == 2)
        #expect(BatchLifecycle.settlement(of: batch)?.at == Self.created + 3750)
    }

    @Test func theRunTimeOfLinesCountsEachDelayOnce() {
        #expect(Self.slowed.runTime(ofLines: 0) == 0)
        #expect(Self.slowed.runTime(ofLines: 1) == 100)
        #expect(Self.slowed.runTime(ofLines: 2) == 700)
        #expect(Self.slowed.runTime(ofLines: 10) == 1750)
        for elapsed: Int64 in [0, 99, 100, 699, 700, 1249, 1250, 1750, 10_000] {
            let run = Self.slowed.linesRun(of: 10, after: elapsed)
            // The count found is the largest whose run time has passed.
            #expect(Self.slowed.runTime(ofLines: run) <= elapsed)
            #expect(run == 10 || Self.slowed.runTime(ofLines: run + 1) > elapsed)
        }
    }

    @Test func expireAfterLinesStopsTheRunThereAndExpires() {
        var schedule = Self.schedule
        schedule.expireAfterLines = 3
        let batch = Self.batch(schedule: schedule)
        #expect(Self.state(batch, after: 1299).status == .inProgress)
        let stopped = Self.state(batch, after: 1300)
        #expect(stopped.status == .finalizing && stopped.linesRun == 3 && stopped.completed == 2 && stopped.failed == 1)
        let expired = Self.state(batch, after: 2300)
        #expect(expired.status == .expired && expired.expiredAt == 1_761_928_946 && expired.linesRun == 3)
        #expect(BatchLifecycle.settlement(of: batch) == .init(at: Self.created + 2300, status: .expired, linesRun: 3, total: 10))
    }

    @Test func expireAfterAsManyLinesAsThereAreRunsThemAllAndStillExpires() {
        var schedule = Self.schedule
        schedule.expireAfterLines = 12
        let batch = Self.batch(schedule: schedule)
        #expect(Self.state(batch, after: 2000).status == .finalizing)
        #expect(BatchLifecycle.settlement(of: batch) == .init(at: Self.created + 3000, status: .expired, linesRun: 10, total: 10))
    }

    @Test func cancelAfterLinesCancelsWhenThatManyHaveRun() {
        var schedule = Self.schedule
        schedule.cancelAfterLines = 4
        let batch = Self.batch(schedule: schedule)
        #expect(Self.state(batch, after: 1399).status == .inProgress)
        let cancelling = Self.state(batch, after: 1400)
        #expect(cancelling.status == .cancelling && cancelling.cancellingAt == 1_761_928_945 && cancelling.linesRun == 4)
        #expect(Self.state(batch, after: 3399).status == .cancelling)
        let cancelled = Self.state(batch, after: 3400)
        #expect(cancelled.status == .cancelled && cancelled.linesRun == 4)
        #expect(BatchLifecycle.settlement(of: batch) == .init(at: Self.created + 3400, status: .cancelled, linesRun: 4, total: 10))
    }

    @Test func aCancelAskedForBeforeTheRulesMomentWins() {
        var schedule = Self.schedule
        schedule.cancelAfterLines = 8
        let batch = Self.batch(schedule: schedule, cancelAt: Self.created + 1250)
        let cancelled = Self.state(batch, after: 10_000)
        #expect(cancelled.status == .cancelled && cancelled.linesRun == 2)
    }

    @Test func linesThatTakeNoTimeStillStopAtTheRulesCount() {
        var expiring = BatchSchedule(validatingMilliseconds: 0, millisecondsPerLine: 0, finalizingMilliseconds: 0, cancellingMilliseconds: 0)
        expiring.expireAfterLines = 2
        let expired = Self.state(Self.batch(schedule: expiring), after: 0)
        #expect(expired.status == .expired && expired.linesRun == 2)
        var cancelling = expiring
        cancelling.expireAfterLines = nil
        cancelling.cancelAfterLines = 0
        let cancelled = Self.state(Self.batch(schedule: cancelling), after: 0)
        #expect(cancelled.status == .cancelled && cancelled.linesRun == 0 && cancelled.inProgressAt != nil)
        #expect(BatchLifecycle.settlement(of: Self.batch(schedule: cancelling))?.linesRun == 0)
    }
}
