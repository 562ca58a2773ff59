import CoreMetrics
import Metrics

/// Batch metrics. Labels stay few: `endpoint` is one of `BatchService.endpoints` (a create is
/// counted only once its values are checked), `status` one of the three a batch settles in, `file`
/// output or error. Each instance counts what it did, so in shared mode the sum over instances
/// counts every batch once (of two instances racing to make a batch's results, one wins).
extension ServerMetrics {
    /// A batch stored; `validation` is `failed` when it will fail as its validation ends.
    func recordBatchCreated(_ batch: StoredBatch) {
        let validation = if case .fail = batch.plan { "failed" } else { "passed" }
        Counter(label: "mockfiles_batches_created_total", dimensions: [("endpoint", batch.endpoint), ("validation", validation)], factory: factory)
            .increment()
    }

    /// Result files made for `batch` (when `made`; false when another writer made them first):
    /// its final status, the lines each file holds, and how long writing them took.
    func recordBatchResults(of batch: StoredBatch, made: Bool, since start: ContinuousClock.Instant) {
        guard made, let settlement = BatchLifecycle.settlement(of: batch) else { return }
        let state = BatchLifecycle.state(of: batch, at: settlement.at)
        // Lines answered 200 go to the output file; refused ones and those never run to the error file.
        let errorLines = state.failed + (state.total - state.linesRun)
        Counter(label: "mockfiles_batches_settled_total", dimensions: [("status", settlement.status.rawValue)], factory: factory).increment()
        Counter(label: "mockfiles_batch_result_lines_total", dimensions: [("file", "output")], factory: factory).increment(by: state.completed)
        Counter(label: "mockfiles_batch_result_lines_total", dimensions: [("file", "error")], factory: factory).increment(by: errorLines)
        CoreMetrics.Timer(label: "mockfiles_batch_results_duration_seconds", factory: factory).record(duration: start.duration(to: .now))
    }
}

extension ServerMetrics {
    /// One webhook delivery attempt: `outcome` is `delivered` (a 2xx), `refused` (another status)
    /// or `unanswered` (no connection, a timeout); and the event `given_up` after its last attempt.
    func recordWebhookAttempt(status: Int, givenUp: Bool) {
        let outcome = (200..<300).contains(status) ? "delivered" : status == 0 ? "unanswered" : "refused"
        Counter(label: "mockfiles_webhook_attempts_total", dimensions: [("outcome", outcome)], factory: factory).increment()
        if givenUp { Counter(label: "mockfiles_webhook_events_given_up_total", factory: factory).increment() }
    }
}
