import Foundation

/// The per-line work of a batch (reading a line at create, answering it when results are made)
/// on every core. Each line's reading and answer are pure functions of its bytes, so the lines
/// cut from one chunk of the input are split into as many runs as there are cores, each run is
/// worked on by a child task, and the results come back in line order for the caller to take
/// in order (the checks against earlier lines, the writing of the files). Two cores make a
/// 50,000-line batch about twice as fast to validate and to answer (bench row 10).
enum BatchLinesInParallel {
    /// Fewer lines than this in a run are not worth a task of their own.
    static let smallestRun = 64
    static let width = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `work` of each run of `lines`, in the runs' order.
    static func map<Result: Sendable>(
        _ lines: [BatchRawLine],
        _ work: @escaping @Sendable (ArraySlice<BatchRawLine>) -> Result
    ) async -> [Result] {
        let runs = min(width, lines.count / smallestRun)
        guard runs > 1 else { return [work(lines[...])] }
        let size = (lines.count + runs - 1) / runs
        return await withTaskGroup(of: (Int, Result).self) { group in
            for (run, start) in stride(from: 0, to: lines.count, by: size).enumerated() {
                let slice = lines[start..<min(lines.count, start + size)]
                group.addTask { (run, work(slice)) }
            }
            var results: [(Int, Result)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
