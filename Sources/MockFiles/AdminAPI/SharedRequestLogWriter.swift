import NIOConcurrencyHelpers

/// Writes this instance's request-log entries to the shared log by group commit: an entry that
/// comes while no write is under way is written at once, alone; entries that come while one is
/// under way wait for it and then go together in the next statement. So at low load nothing
/// waits longer than its own write, and under load the log costs one statement per batch
/// instead of one per request (bench/README.md, "Rows 8–9: where a shared read's time goes").
///
/// `append` returns once the entry's statement has committed, so a request answered after it is
/// in the log every instance reads (docs/scale-out.md, "The request log"). It does not return
/// early when its task is cancelled (a fault that dropped the connection cancels the request):
/// the entry is written all the same.
final class SharedRequestLogWriter: Sendable {
    private typealias Waiting = (entry: RequestLogEntry, written: CheckedContinuation<Void, any Error>)

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    private let state = NIOLockedValueBox(State())
    private let store: any SharedControlStore
    private let capacity: Int

    init(store: any SharedControlStore, capacity: Int) {
        self.store = store
        self.capacity = capacity
    }

    func append(_ entry: RequestLogEntry) async throws {
        try await withCheckedThrowingContinuation { (written: CheckedContinuation<Void, any Error>) in
            let startsWriting = state.withLockedValue { state in
                state.waiting.append((entry, written))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            // A task of its own: the statement must not be cancelled with the request that began it.
            if startsWriting { Task { await writeUntilNoneWait() } }
        }
    }

    /// Writes what waits, batch after batch, until nothing does.
    private func writeUntilNoneWait() async {
        while true {
            let batch = state.withLockedValue { state in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await store.appendRequests(batch.map(\.entry), capacity: capacity)
                for waiting in batch { waiting.written.resume() }
            } catch {
                for waiting in batch { waiting.written.resume(throwing: error) }
            }
        }
    }
}
