import Foundation
import NIOFileSystem

/// Fills a data directory with many small files fast, for benchmarks and large-store tests
/// (`mockfiles seed`). Blobs are written straight to their final names and synced once at the
/// end, rows go in large transactions: seconds per hundred thousand files, not minutes. Run it
/// while no server uses the directory.
public struct StoreSeeder {
    public struct Options: Sendable {
        public var count: Int
        public var purposes: [Purpose] = [.userData]
        public var bytesPerFile: Int = 64
        public var tenantKey = "shared"
        /// Files share each `created_at` second this many at a time (ties exercise the list order).
        public var filesPerSecond = 1000
        public var seed: UInt64? = nil

        public init(count: Int) { self.count = count }
    }

    let metadata: SQLiteMetadataStore
    let blobs: DiskBlobStore

    public init(dataDirectory: String) throws {
        metadata = try SQLiteMetadataStore(dataDirectory: dataDirectory)
        blobs = try DiskBlobStore(dataDirectory: dataDirectory)
    }

    /// Adds `options.count` files, the newest created now; returns their ids in creation order.
    @discardableResult
    public func seed(_ options: Options, now: Int64 = Int64(Date().timeIntervalSince1970), progress: (Int) -> Void = { _ in }) async throws -> Int {
        let ids = IDGenerator(seed: options.seed)
        let batchSize = 10_000
        let oldest = now - Int64(options.count / max(1, options.filesPerSecond))
        var made = 0
        while made < options.count {
            let batch = (made..<min(options.count, made + batchSize)).map { index in
                StoredFile(
                    id: ids.fileID(),
                    tenant: options.tenantKey,
                    purpose: options.purposes[index % options.purposes.count].rawValue,
                    filename: "seed-\(index).txt",
                    bytes: Int64(options.bytesPerFile),
                    createdAt: oldest + Int64(index / max(1, options.filesPerSecond)),
                    expiresAt: nil
                )
            }
            for file in batch {
                try blobs.writeSeedBlob(id: file.id, contents: Self.contents(for: file, size: options.bytesPerFile))
            }
            try await metadata.insertMany(batch)
            made += batch.count
            progress(made)
        }
        sync()
        return made
    }

    static func contents(for file: StoredFile, size: Int) -> [UInt8] {
        let line = Array("\(file.id) \(file.filename)\n".utf8)
        return (0..<size).map { line[$0 % line.count] }
    }
}

extension DiskBlobStore {
    /// Writes a blob under its final name without the temp/fsync dance: for seeding only.
    func writeSeedBlob(id: String, contents: [UInt8]) throws {
        let shard = shardDirectory(for: id).string
        if !FileManager.default.fileExists(atPath: shard) {
            try FileManager.default.createDirectory(atPath: shard, withIntermediateDirectories: true)
        }
        let descriptor = open(path(for: id).string, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BlobStoreError.io("open", errno) }
        defer { close(descriptor) }
        try contents.withUnsafeBytes { try Self.writeAll(descriptor, $0.baseAddress!, $0.count) }
    }
}
