import Crypto
import Foundation
import Glibc
import NIOCore
import NIOFileSystem
import NIOPosix

extension DiskBlobStore {
    /// Joins parts into one temp file, each 1 MiB read once, hashed (SHA-256, and MD5 when asked)
    /// and written. Memory stays bounded by one buffer, never by the upload's size.
    public func makeWriter(concatenating ids: [String], computingMD5: Bool) async throws -> (any BlobWriter, digests: JoinedDigests) {
        let diskWriter = try await makeDiskWriter()
        do {
            let paths = try ids.map { id in
                guard ServerID.isWellFormed(id) else { throw BlobStoreError.missingBlob(id) }
                return path(for: id).string
            }
            let (total, digests) = try await diskWriter.handle.withUnsafeDescriptor { descriptor in
                try Self.concatenate(paths, into: descriptor.rawValue, computingMD5: computingMD5)
            }
            diskWriter.advance(by: total)
            return (diskWriter, digests)
        } catch {
            await diskWriter.discard()
            throw error
        }
    }

    public func makeWriter(copyingFileAt path: String) async throws -> any BlobWriter {
        let diskWriter = try await makeDiskWriter()
        do {
            let (total, _) = try await diskWriter.handle.withUnsafeDescriptor { descriptor in
                try Self.concatenate([path], into: descriptor.rawValue, computingMD5: false)
            }
            diskWriter.advance(by: total)
            return diskWriter
        } catch {
            await diskWriter.discard()
            throw error
        }
    }

    /// Runs on the file system's thread pool (inside `withUnsafeDescriptor`).
    static func concatenate(_ paths: [String], into output: Int32, computingMD5: Bool) throws -> (Int64, JoinedDigests) {
        var sha256 = SHA256()
        var md5 = computingMD5 ? Insecure.MD5() : nil
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for path in paths {
            let input = open(path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw BlobStoreError.missingBlob(path) }
            defer { close(input) }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw BlobStoreError.io("read", errno) }
                if count == 0 { break }
                buffer.withUnsafeBytes { bytes in
                    let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                    sha256.update(bufferPointer: chunk)
                    md5?.update(bufferPointer: chunk)
                }
                try buffer.withUnsafeBytes { try writeAll(output, $0.baseAddress!, count) }
                total += Int64(count)
            }
        }
        return (total, JoinedDigests(sha256: sha256.finalize().hexDigits, md5: md5?.finalize().hexDigits))
    }

    static func writeAll(_ descriptor: Int32, _ base: UnsafeRawPointer, _ count: Int) throws {
        var written = 0
        while written < count {
            let result = write(descriptor, base + written, count - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw BlobStoreError.io("write", errno) }
            written += result
        }
    }
}

enum BlobStoreError: Error {
    case missingBlob(String)
    case io(String, Int32)
}
