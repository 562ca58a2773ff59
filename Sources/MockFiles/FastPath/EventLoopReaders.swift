import NIOConcurrencyHelpers
import NIOCore

/// One reader of the store for each event loop that answers direct reads, made on the loop's
/// first connection (`ImmediateFileReads.readerForOneThread`) and kept while the server runs, so
/// that a read on the loop never waits for a connection another thread holds. A connection
/// takes its loop's reader once, when it opens (`DirectReadHandler`).
final class EventLoopReaders: Sendable {
    private let store: any ImmediateFileReads
    private let readers = NIOLockedValueBox([ObjectIdentifier: any ImmediateFileReads]())

    init(store: any ImmediateFileReads) {
        self.store = store
    }

    /// The loop's reader; the store itself if a reader of its own cannot be opened (the reads
    /// are the same, only slower).
    func reader(for loop: any EventLoop) -> any ImmediateFileReads {
        readers.withLockedValue { readers in
            if let reader = readers[ObjectIdentifier(loop)] { return reader }
            let reader = (try? store.readerForOneThread()) ?? store
            readers[ObjectIdentifier(loop)] = reader
            return reader
        }
    }
}
