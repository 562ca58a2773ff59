import Foundation
import NIOCore

/// A batch's result files when an upstream answers its lines (setting `batchUpstream`): the
/// input is read a chunk at a time as without one; the lines a batch rule decides, and the lines
/// the batch never ran, are answered here as always; every other line's `body` is POSTed to the
/// upstream, `batchUpstreamConcurrency` at a time, and the chunk's result lines are written in
/// input order once its last answer is in, so memory follows a chunk, not the batch. Which
/// lines failed is known only now: the plan records them with the files (`BatchResultsWritten`).
/// Why at settlement, and what a read reports meanwhile: docs/design.md, "Batch upstream".
extension BatchService {
    func writeUpstreamResults(
        of batch: StoredBatch,
        settlement: BatchLifecycle.Settlement,
        upstream: BatchUpstream,
        output: any BlobWriter,
        errors: any BlobWriter
    ) async throws -> BatchResultsWritten {
        let client = BatchUpstreamClient(upstream: upstream)
        let rules = try BatchLineRules(stored: batch.rules)
        let created = BatchLifecycle.seconds(settlement.at)
        var written = BatchResultsWritten(failingLines: [])
        let read = try await readInput(of: batch) { raws in
            var lines = raws.compactMap { UpstreamLine($0, of: batch, settlement: settlement, rules: rules) }
            let sent = lines.indices.filter { lines[$0].result == nil }
            let outcomes = await client.send(sent.map { lines[$0].body }, path: batch.endpoint, width: upstream.concurrency)
            // A shutdown cut the calls short: what came back is no answer to record.
            try Task.checkCancellation()
            for (position, outcome) in zip(sent, outcomes) { lines[position].result = outcome.answer(timeoutSeconds: upstream.timeoutSeconds) }
            var outputLines = ByteBuffer()
            var errorLines = ByteBuffer()
            for line in lines {
                switch line.result {
                case .answered(let answer) where (200..<300).contains(answer.statusCode):
                    written.usage = written.usage + answer.usage
                    BatchResultLine.write(answer, seed: line.seed, customID: line.customID, created: created, into: &outputLines)
                case .answered(let answer):
                    written.usage = written.usage + answer.usage
                    written.failingLines?.append(line.index)
                    BatchResultLine.write(answer, seed: line.seed, customID: line.customID, created: created, into: &errorLines)
                case .unanswered(let unanswered):
                    if line.ran { written.failingLines?.append(line.index) }
                    BatchResultLine.write(unanswered, seed: line.seed, customID: line.customID, created: created, into: &errorLines)
                case nil:
                    break
                }
            }
            if outputLines.readableBytes > 0 { try await output.write(outputLines) }
            if errorLines.readableBytes > 0 { try await errors.write(errorLines) }
        }
        guard read else { return BatchResultsWritten() }
        return written
    }
}

/// One request line of a batch whose lines an upstream answers.
private struct UpstreamLine {
    var index: Int64
    var customID: String
    var seed: String
    /// False for a line the batch never ran (it expired or was cancelled first).
    var ran: Bool
    /// Known at once for a line that never ran or that a rule decides; else the upstream's.
    var result: BatchLineResult?
    /// What the upstream is sent: the line's `body` as the client wrote it.
    var body = ByteBuffer()

    /// Nil for a line that is not a request (impossible once the batch validated).
    init?(_ raw: BatchRawLine, of batch: StoredBatch, settlement: BatchLifecycle.Settlement, rules: BatchLineRules) {
        guard case .success(let request) = BatchInputReader.read(raw, endpoint: batch.endpoint).outcome else { return nil }
        let line = request.line(at: raw)
        index = line.index
        customID = line.customID
        seed = "\(batch.id)/\(line.index)"
        ran = line.index < settlement.linesRun
        guard ran else {
            result = .unanswered(settlement.status == .expired ? BatchResultLine.expired : BatchResultLine.cancelled)
            return
        }
        if let fixed = rules.deciding(line)?.fixedAnswer {
            result = .answered(fixed)
            return
        }
        let text = Array(raw.bytes.readableBytesView)
        if let member = RawJSON.member("body", in: text) {
            body = ByteBuffer(bytes: member)
        } else if let data = try? JSONSerialization.data(withJSONObject: line.body) {
            // `body` spelled with escapes in its key: sent as JSONSerialization writes it.
            body = ByteBuffer(bytes: data)
        }
    }
}
