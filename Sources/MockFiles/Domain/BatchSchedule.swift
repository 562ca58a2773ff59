/// How long each stage of a batch lasts, fixed when the batch is created (setting
/// `batchTimings`, or a batch rule's `schedule`), so a later change of settings or rules leaves
/// running batches as they were. Batch rules may also slow single lines down and end the run
/// early (`lineDelays`, `expireAfterLines`, `cancelAfterLines`).
public struct BatchSchedule: Sendable, Equatable, Codable {
    public var validatingMilliseconds: Int64
    /// `in_progress` lasts this per line.
    public var millisecondsPerLine: Int64
    public var finalizingMilliseconds: Int64
    /// From a cancel to `cancelled` (the service takes about ten minutes).
    public var cancellingMilliseconds: Int64
    /// Lines that take longer than `millisecondsPerLine`, in line order, each with the extra time
    /// of every delayed line up to and including it (so the time `k` lines take is one lookup).
    public var lineDelays: [BatchLineDelay]?
    /// Run this many lines, then expire (a batch rule's `expire_after_lines`).
    public var expireAfterLines: Int64?
    /// Run this many lines, then cancel (a batch rule's `cancel_after_lines`).
    public var cancelAfterLines: Int64?

    public init(validatingMilliseconds: Int64, millisecondsPerLine: Int64, finalizingMilliseconds: Int64, cancellingMilliseconds: Int64) {
        self.validatingMilliseconds = validatingMilliseconds
        self.millisecondsPerLine = millisecondsPerLine
        self.finalizingMilliseconds = finalizingMilliseconds
        self.cancellingMilliseconds = cancellingMilliseconds
    }

    /// How long the first `count` lines take to run: line `k` (0-based) is answered
    /// `millisecondsPerLine` × (k + 1) plus the delays of lines 0…k after validation.
    func runTime(ofLines count: Int64) -> Int64 {
        guard count > 0 else { return 0 }
        return count.saturatingMultiply(millisecondsPerLine).saturatingAdd(delay(throughLine: count - 1))
    }

    /// How many of `lines` lines have been answered `elapsed` milliseconds after validation.
    func linesRun(of lines: Int64, after elapsed: Int64) -> Int64 {
        guard elapsed >= 0 else { return 0 }
        guard let delays = lineDelays, !delays.isEmpty else {
            guard millisecondsPerLine > 0 else { return lines }
            return min(lines, elapsed / millisecondsPerLine)
        }
        // The largest count whose run time has passed: run times grow with the count.
        var low: Int64 = 0
        var high = lines
        while low < high {
            let middle = low + (high - low + 1) / 2
            if runTime(ofLines: middle) <= elapsed { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The extra time of the delayed lines among lines 0…`line`.
    private func delay(throughLine line: Int64) -> Int64 {
        guard let delays = lineDelays, !delays.isEmpty else { return 0 }
        // The last delayed line at or before `line`.
        var low = 0
        var high = delays.count
        while low < high {
            let middle = (low + high) / 2
            if delays[middle].line <= line { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : delays[low - 1].totalMilliseconds
    }
}

/// A line that takes longer to run (a batch rule's `delay_ms`).
public struct BatchLineDelay: Sendable, Equatable, Codable {
    /// 0-based among the request lines.
    public var line: Int64
    /// This line's extra time plus that of every delayed line before it.
    public var totalMilliseconds: Int64

    public init(line: Int64, totalMilliseconds: Int64) {
        self.line = line
        self.totalMilliseconds = totalMilliseconds
    }
}
