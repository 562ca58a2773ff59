import Crypto
import NIOCore

/// SHA-256 of a stream, hashed beside it rather than in its way: chunks gather into 1 MiB batches,
/// and each batch is hashed in a task of its own while the next one arrives, on another core. On
/// the request's own task, hashing slowed large uploads markedly; beside it, they lose little
/// (bench/README.md, "Figures behind code comments"). At most two batches are held: a batch
/// waits for the one before it.
struct StreamingSHA256 {
    static let batchBytes = 1 << 20

    private var pending: [ByteBuffer] = []
    private var pendingBytes = 0
    private var hashed = SHA256()
    private var inFlight: Task<SHA256, Never>?

    mutating func update(_ chunk: ByteBuffer) async {
        pending.append(chunk)
        pendingBytes += chunk.readableBytes
        guard pendingBytes >= Self.batchBytes else { return }
        if let inFlight { hashed = await inFlight.value }
        let (batch, start) = (pending, hashed)
        pending = []
        pendingBytes = 0
        inFlight = Task { Self.hash(batch, into: start) }
    }

    /// The digest of everything given, as lower-case hex.
    mutating func finalize() async -> String {
        if let inFlight { hashed = await inFlight.value }
        inFlight = nil
        hashed = Self.hash(pending, into: hashed)
        pending = []
        return hashed.finalize().hexDigits
    }

    private static func hash(_ batch: [ByteBuffer], into start: SHA256) -> SHA256 {
        var digest = start
        for chunk in batch { chunk.withUnsafeReadableBytes { digest.update(bufferPointer: $0) } }
        return digest
    }
}
