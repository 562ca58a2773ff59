import NIOCore
import Testing

@testable import MockFiles

/// The parallel parts of batch processing: lines worked on in runs give what one pass over them
/// gives, and one batch's result files are made by one task at a time.
@Suite("Batch lines in parallel")
struct BatchParallelTests {
    /// `count` chat lines cut from one input, as the settler sees them.
    static func rawLines(_ count: Int) -> [BatchRawLine] {
        let text = (0..<count).map { index in
            // Every third line asks for too many tokens for a cut answer, and one in seven is
            // refused (no messages): the three kinds of result line.
            let extra = index % 3 == 0 ? #", "max_tokens": 2"# : ""
            let messages = index % 7 == 0 ? "[]" : #"[{"role": "user", "content": "question \#(index) of the batch"}]"#
            return
                #"{"custom_id": "r\#(index)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": \#(messages)\#(extra)}}"#
        }.joined(separator: "\n")
        var reader = BatchInputReader(endpoint: "/v1/chat/completions")
        var lines = reader.lines(in: ByteBuffer(string: text))
        if let last = reader.lastLine() { lines.append(last) }
        return lines
    }

    static func answering(linesRun: Int64) -> BatchLineAnswering {
        let batch = StoredBatch(
            id: "batch_6904e6f0a8b481909b2c3d4e5f607182",
            tenant: "shared",
            endpoint: "/v1/chat/completions",
            inputFileID: "file-Ab3dEf5hJk7mNp9qRs2tUv",
            completionWindow: "24h",
            createdAtMilliseconds: 1_700_000_000_000,
            schedule: BatchSchedule(
                validatingMilliseconds: 1000,
                millisecondsPerLine: 10,
                finalizingMilliseconds: 1000,
                cancellingMilliseconds: 1000
            ),
            plan: .run(lines: 1000, model: "gpt-4o-mini-2024-07-18", failingLines: [])
        )
        let settlement = BatchLifecycle.Settlement(at: 1_700_000_100_000, status: .expired, linesRun: linesRun, total: 1000)
        return BatchLineAnswering(batch: batch, settlement: settlement, rules: BatchLineRules([]))
    }

    @Test func runsKeepTheLinesOrderAndCoverEveryLineOnce() async {
        let lines = Self.rawLines(1000)
        let runs = await BatchLinesInParallel.map(lines) { run in run.map(\.index) }
        #expect(runs.count == max(1, min(BatchLinesInParallel.width, 1000 / BatchLinesInParallel.smallestRun)))
        #expect(Array(runs.joined()) == Array(0..<1000))
    }

    @Test func fewLinesAreOneRun() async {
        let runs = await BatchLinesInParallel.map(Self.rawLines(BatchLinesInParallel.smallestRun * 2 - 1)) { $0.count }
        #expect(runs == [BatchLinesInParallel.smallestRun * 2 - 1])
    }

    @Test func answersInRunsAreTheBytesOfOnePass() async {
        let lines = Self.rawLines(1000)
        // 700 lines ran before the batch expired: output, error and expired lines all occur.
        let answering = Self.answering(linesRun: 700)
        let whole = answering.results(of: lines)
        let parts = [answering.results(of: lines[..<333]), answering.results(of: lines[333..<701]), answering.results(of: lines[701...])]
        let joined = parts.reduce(into: BatchLineAnswering.Results()) { all, part in
            all.output.writeImmutableBuffer(part.output)
            all.errors.writeImmutableBuffer(part.errors)
            all.usage = all.usage + part.usage
        }
        #expect(joined.output == whole.output)
        #expect(joined.errors == whole.errors)
        #expect(joined.usage == whole.usage)
        #expect(String(buffer: whole.output).split(separator: "\n").count == 700 - 100)
        #expect(String(buffer: whole.errors).split(separator: "\n").count == 100 + 300)
        #expect(String(buffer: whole.errors).contains("batch_expired"))
    }

    @Test func oneBatchIsSettledByOneTaskAtATime() async throws {
        let flights = SettlementsInFlight()
        let made = Calls()
        let batch = Self.answering(linesRun: 0).batch
        let results = try await withThrowingTaskGroup(of: StoredBatch.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await flights.settle(batch.id) {
                        await made.count()
                        // Long enough for the other seven to arrive while this one runs.
                        try await Task.sleep(for: .milliseconds(200))
                        var settled = batch
                        settled.resultsMade = true
                        return settled
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(await made.made == 1)
        #expect(results.count == 8 && results.allSatisfy(\.resultsMade))
        // Once it ended, a later call runs again: the row it reads decides whether work is left.
        _ = try await flights.settle(batch.id) {
            await made.count()
            return batch
        }
        #expect(await made.made == 2)
    }
}

private actor Calls {
    private(set) var made = 0
    func count() { made += 1 }
}
