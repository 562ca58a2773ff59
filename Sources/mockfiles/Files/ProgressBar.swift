import Foundation
import NIOConcurrencyHelpers

/// A one-line progress bar on stderr, redrawn at most 10 times a second:
/// `uploading  42% [=========>            ] 12.0 MiB / 28.6 MiB  31.2 MiB/s`.
final class ProgressBar: Sendable {
    private struct State {
        var done: Int64 = 0
        var lastDraw: ContinuousClock.Instant?
        var finished = false
    }

    let label: String
    let total: Int64?
    private let started = ContinuousClock.now
    private let state = NIOLockedValueBox(State())

    init(label: String, total: Int64?) {
        self.label = label
        self.total = total
        draw(done: 0)
    }

    func advance(to done: Int64) {
        let now = ContinuousClock.now
        let due = state.withLockedValue { state in
            state.done = done
            guard state.lastDraw.map({ now - $0 >= .milliseconds(100) }) ?? true else { return false }
            state.lastDraw = now
            return true
        }
        if due { draw(done: done) }
    }

    /// Draws the final state and ends the line.
    func finish() {
        let done = state.withLockedValue { state in
            defer { state.finished = true }
            return state.finished ? nil : state.done
        }
        guard let done else { return }
        draw(done: done)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(done: Int64) {
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\(label) "
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
            line += String(format: "%3d%% [%@] %@ / %@", Int(fraction * 100), bar, Self.size(done), Self.size(total))
        } else {
            line += Self.size(done)
        }
        // Clear to the end of the line: this draw may be shorter than the last.
        line += "  \(Self.size(Int64(rate)))/s\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
