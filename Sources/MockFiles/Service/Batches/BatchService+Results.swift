import Logging
import NIOCore

/// A batch's result files, made once, for the moment it settles (completed, expired or
/// cancelled), by whichever request or sweep first sees it due: the input is read again and
/// each line that ran is answered (by the batch rule that decides it, else `BatchAnswers`: pure
/// functions of the line and the row, so any instance writes the same bytes); 200s go to the output file, the rest to the error file, and lines
/// the batch never ran go to the error file with `batch_expired` or `batch_cancelled`. The
/// store commits the files and names them in the batch in one transaction, so two makers race
/// harmlessly: one wins, the other's blobs go.
extension BatchService {
    /// Makes the result files of `batch` if it has settled; answers the row as stored after.
    func settle(_ batch: StoredBatch) async throws -> StoredBatch {
        guard BatchLifecycle.settlement(of: batch) != nil else { return batch }
        return try await settlements.settle(batch.id) { try await makeResults(of: batch) }
    }

    private func makeResults(of batch: StoredBatch) async throws -> StoredBatch {
        // The row may be older than a run that just ended here, or one on another instance:
        // read again rather than write a whole output the store would throw away.
        guard let batch = try await store.reads.batch(id: batch.id, tenant: batch.tenant) else { return batch }
        guard !batch.resultsMade, let settlement = BatchLifecycle.settlement(of: batch) else { return batch }
        let created = BatchLifecycle.seconds(settlement.at)
        let started = ContinuousClock.now
        let made = try await store.makeBatchResults(
            of: batch,
            write: { output, errors in
                if let upstream = settings.upstream {
                    return try await writeUpstreamResults(of: batch, settlement: settlement, upstream: upstream, output: output, errors: errors)
                }
                return BatchResultsWritten(usage: try await writeResults(of: batch, settlement: settlement, output: output, errors: errors))
            },
            describe: { kind, id, bytes in
                // Filenames: our choice (no recorded output File); the batch's id names both.
                StoredFile(
                    id: id,
                    tenant: batch.tenant,
                    purpose: Purpose.batchOutput.rawValue,
                    filename: "\(batch.id)_\(kind == .output ? "output" : "error").jsonl",
                    bytes: bytes,
                    createdAt: created,
                    expiresAt: batch.outputLifetimeSeconds.map { created.saturatingAdd($0) },
                    contentType: "application/jsonl"
                )
            }
        )
        metrics.recordBatchResults(of: batch, made: made, since: started)
        return try await store.reads.batch(id: batch.id, tenant: batch.tenant) ?? batch
    }

    /// Makes the result files of every batch due by now (the sweeper, and a clock change).
    @discardableResult
    public func settleDueBatches() async throws -> Int {
        var settled = 0
        while true {
            let due = try await store.reads.batchesAwaitingResults(dueBy: clock.milliseconds, limit: 20)
            for batch in due { _ = try await settle(batch) }
            settled += due.count
            if due.count < 20 { return settled }
        }
    }

    /// Hands `take` the input's lines, a chunk's worth at a time, the last line on its own;
    /// false when the input's blob is gone.
    func readInput(of batch: StoredBatch, _ take: ([BatchRawLine]) async throws -> Void) async throws -> Bool {
        var reader = BatchInputReader(endpoint: batch.endpoint, checksDuplicates: false)
        let read: Void? = try await store.withBlobReader(id: batch.inputFileID) { blob in
            try await blob.read(range: 0..<blob.size, chunkSize: Self.inputChunkBytes) { chunk in
                try await take(Self.cut(&reader, chunk))
            }
        }
        guard read != nil else {
            // Its blob was removed by hand from the data directory: no line can be answered. The
            // batch settles without result files, rather than staying due for ever (every sweep
            // would try it again, and the batches due after it would wait behind it).
            logger.error(
                "batch input gone: its result files cannot be made; it settles without them",
                metadata: ["batch": "\(batch.id)", "file": "\(batch.inputFileID)"]
            )
            return false
        }
        if let last = reader.lastLine() { try await take([last]) }
        return true
    }

    /// Streams the result lines into `output` and `errors`, a chunk of the input at a time, its
    /// lines answered on every core; answers the usage of the lines answered.
    private func writeResults(
        of batch: StoredBatch,
        settlement: BatchLifecycle.Settlement,
        output: any BlobWriter,
        errors: any BlobWriter
    ) async throws -> BatchUsage {
        let answering = BatchLineAnswering(batch: batch, settlement: settlement, rules: try BatchLineRules(stored: batch.rules))
        var usage = BatchUsage()
        func write(_ parts: [BatchLineAnswering.Results]) async throws {
            for part in parts {
                usage = usage + part.usage
                if part.output.readableBytes > 0 { try await output.write(part.output) }
                if part.errors.readableBytes > 0 { try await errors.write(part.errors) }
            }
        }
        let read = try await readInput(of: batch) { lines in
            try await write(await BatchLinesInParallel.map(lines) { run in answering.results(of: run) })
        }
        guard read else { return BatchUsage() }
        return usage
    }
}

/// What a settled batch's lines are answered with: a pure function of each line and the batch,
/// so runs of lines may be answered on any task (`BatchLinesInParallel`).
struct BatchLineAnswering: Sendable {
    /// The result lines of a run of input lines, in their order, and the usage they add.
    struct Results: Sendable {
        var output = ByteBuffer()
        var errors = ByteBuffer()
        var usage = BatchUsage()
    }

    let batch: StoredBatch
    let settlement: BatchLifecycle.Settlement
    let rules: BatchLineRules

    /// Lines at or past `settlement.linesRun` never ran: they go to the error file as expired or
    /// cancelled. The others get the answer of the rule that decides them, else `BatchAnswers`';
    /// 200s go to the output file, the rest to the error file. A line that is not a request
    /// (impossible once the batch validated) is passed over.
    func results(of lines: some Collection<BatchRawLine>) -> Results {
        var results = Results()
        let created = BatchLifecycle.seconds(settlement.at)
        for raw in lines {
            guard case .success(let request) = BatchInputReader.read(raw, endpoint: batch.endpoint).outcome else { continue }
            let line = request.line(at: raw)
            let seed = "\(batch.id)/\(line.index)"
            guard line.index < settlement.linesRun else {
                let unrun = settlement.status == .expired ? BatchResultLine.expired : BatchResultLine.cancelled
                BatchResultLine.write(unrun, seed: seed, customID: line.customID, created: created, into: &results.errors)
                continue
            }
            let answer =
                rules.deciding(line)?.fixedAnswer ?? BatchAnswers.answer(endpoint: batch.endpoint, body: line.body, seed: seed, created: created)
            results.usage = results.usage + answer.usage
            if answer.statusCode == 200 {
                BatchResultLine.write(answer, seed: seed, customID: line.customID, created: created, into: &results.output)
            } else {
                BatchResultLine.write(answer, seed: seed, customID: line.customID, created: created, into: &results.errors)
            }
        }
        return results
    }
}
