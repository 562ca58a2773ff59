import GRDB
import NIOConcurrencyHelpers

/// Inserts that arrive while a commit is being made wait for the next one and share it: one
/// transaction, one WAL fsync, for all of them. Nobody is answered before the commit that holds
/// their row is durable, and a crash before it loses only rows nobody was told about.
///
/// Sixteen clients uploading small files each paid a whole fsync of the WAL for their row;
/// now the rows of the uploads that finish during one commit go to disk together.
final class GroupCommit: Sendable {
    private typealias Waiter = CheckedContinuation<StoredFile, any Error>

    private struct Queue {
        var waiting: [(file: StoredFile, waiter: Waiter)] = []
        /// A task is committing batches; new inserts only need to join the queue.
        var committing = false
        /// Transactions made so far (tests read it to see that inserts were grouped).
        var commits = 0
    }

    private let database: DatabasePool
    private let queue = NIOLockedValueBox(Queue())

    init(database: DatabasePool) {
        self.database = database
    }

    var commits: Int { queue.withLockedValue { $0.commits } }

    /// Returns the row as stored (with its sequence number) once it is committed.
    func insert(_ file: StoredFile) async throws -> StoredFile {
        try await withCheckedThrowingContinuation { waiter in
            let startsCommitting = queue.withLockedValue { queue in
                queue.waiting.append((file, waiter))
                defer { queue.committing = true }
                return !queue.committing
            }
            if startsCommitting {
                Task { await self.commitUntilEmpty() }
            }
        }
    }

    private func commitUntilEmpty() async {
        while true {
            let batch = queue.withLockedValue { queue in
                defer { queue.waiting = [] }
                if queue.waiting.isEmpty { queue.committing = false } else { queue.commits += 1 }
                return queue.waiting
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [(file: StoredFile, waiter: Waiter)]) async {
        do {
            let stored = try await database.write { db in
                try batch.map { try SQLiteMetadataStore.insertFile(db, $0.file) }
            }
            for (item, row) in zip(batch, stored) { item.waiter.resume(returning: row) }
        } catch {
            guard batch.count > 1 else {
                batch[0].waiter.resume(throwing: error)
                return
            }
            // One row failed and took the batch's transaction with it: commit each on its own,
            // so only the failing insert fails, as it would have without batching.
            for item in batch {
                do {
                    let row = try await database.write { db in try SQLiteMetadataStore.insertFile(db, item.file) }
                    item.waiter.resume(returning: row)
                } catch {
                    item.waiter.resume(throwing: error)
                }
            }
        }
    }
}
