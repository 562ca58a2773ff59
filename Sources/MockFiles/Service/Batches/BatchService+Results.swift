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
        guard let settlement = BatchLifecycle.settlement(of: batch) else { return batch }
        let created = BatchLifecycle.seconds(settlement.at)
        let started = ContinuousClock.now
        let made = try await store.makeBatchResults(
            of: batch,
            write: { output, errors in try await writeResults(of: batch, settlement: settlement, output: output, errors: errors) },
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

    /// Streams the result lines into `output` and `errors`, 64 KiB at a time; answers the usage
    /// of the lines answered.
    private func writeResults(
        of batch: StoredBatch,
        settlement: BatchLifecycle.Settlement,
        output: any BlobWriter,
        errors: any BlobWriter
    ) async throws -> BatchUsage {
        var reader = BatchInputReader(endpoint: batch.endpoint)
        let rules = try BatchLineRules(stored: batch.rules)
        var usage = BatchUsage()
        var pending = (output: ByteBuffer(), errors: ByteBuffer())
        let created = BatchLifecycle.seconds(settlement.at)
        let unrun = settlement.status == .expired ? BatchResultLine.expired : BatchResultLine.cancelled
        func handle(_ line: BatchInputLine) {
            let seed = "\(batch.id)/\(line.index)"
            guard line.index < settlement.linesRun else {
                return BatchResultLine.write(unrun, seed: seed, customID: line.customID, created: created, into: &pending.errors)
            }
            let answer =
                rules.deciding(line)?.fixedAnswer ?? BatchAnswers.answer(endpoint: batch.endpoint, body: line.body, seed: seed, created: created)
            usage = usage + answer.usage
            if answer.statusCode == 200 {
                BatchResultLine.write(answer, seed: seed, customID: line.customID, created: created, into: &pending.output)
            } else {
                BatchResultLine.write(answer, seed: seed, customID: line.customID, created: created, into: &pending.errors)
            }
        }
        func flush(below threshold: Int) async throws {
            if pending.output.readableBytes >= max(threshold, 1) {
                try await output.write(pending.output)
                pending.output = ByteBuffer()
            }
            if pending.errors.readableBytes >= max(threshold, 1) {
                try await errors.write(pending.errors)
                pending.errors = ByteBuffer()
            }
        }
        let read: Void? = try await store.withBlobReader(id: batch.inputFileID) { blob in
            try await blob.read(range: 0..<blob.size, chunkSize: 1 << 16) { chunk in
                Self.feed(&reader, chunk) { line in handle(line) }
                try await flush(below: 1 << 16)
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
            return BatchUsage()
        }
        reader.finish { line in handle(line) }
        try await flush(below: 0)
        return usage
    }
}
