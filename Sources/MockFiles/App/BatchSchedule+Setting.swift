/// Setting `batchTimings`: `validating=1s,line=10ms,finalizing=1s,cancelling=1s`, any of the
/// four, each a whole number of `ms`, `s` or `m`; the others keep their defaults.
extension BatchSchedule {
    init(parsing text: String, over defaults: BatchSchedule) throws {
        self = defaults
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard pair.count == 2, let milliseconds = Self.milliseconds(pair[1]) else {
                throw SettingsError("batchTimings: '\(item)' is not STAGE=DURATION (e.g. line=10ms, validating=1s)")
            }
            switch pair[0] {
            case "validating": validatingMilliseconds = milliseconds
            case "line": millisecondsPerLine = milliseconds
            case "finalizing": finalizingMilliseconds = milliseconds
            case "cancelling": cancellingMilliseconds = milliseconds
            default: throw SettingsError("batchTimings: unknown stage '\(pair[0])'; the stages are validating, line, finalizing, cancelling")
            }
        }
    }

    /// `250ms`, `2s`, `10m` (at most a day: a batch's window is a day).
    private static func milliseconds(_ text: String) -> Int64? {
        let units: [(suffix: String, scale: Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }), let value = Int64(text.dropLast(unit.suffix.count)), value >= 0
        else { return nil }
        let milliseconds = value.saturatingMultiply(unit.scale)
        return milliseconds <= 86_400_000 ? milliseconds : nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
