import Crypto
import Foundation
import Glibc
import NIOCore
import NIOFileSystem
import NIOPosix

extension DiskBlobStore {
    /// Joins parts into one temp file. Without an MD5 to check, the kernel copies the bytes
    /// (`sendfile`, no user-space buffer); with one, each 1 MiB is read once, hashed and written.
    /// Either way memory stays bounded by one buffer, never by the upload's size.
    public func makeWriter(concatenating ids: [String], computingMD5: Bool) async throws -> (any BlobWriter, md5: String?) {
        let writer = try await makeWriter()
        guard let diskWriter = writer as? DiskBlobWriter else { return (writer, nil) }
        do {
            let paths = try ids.map { id in
                guard Self.isSafeID(id) else { throw BlobStoreError.missingBlob(id) }
                return path(for: id).string
            }
            let (total, md5) = try await diskWriter.handle.withUnsafeDescriptor { descriptor in
                try Self.concatenate(paths, into: descriptor.rawValue, computingMD5: computingMD5)
            }
            diskWriter.advance(by: total)
            return (diskWriter, md5)
        } catch {
            await diskWriter.discard()
            throw error
        }
    }

    public func makeWriter(copyingFileAt path: String) async throws -> any BlobWriter {
        let writer = try await makeWriter()
        guard let diskWriter = writer as? DiskBlobWriter else { return writer }
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
    static func concatenate(_ paths: [String], into output: Int32, computingMD5: Bool) throws -> (Int64, String?) {
        var md5 = computingMD5 ? Insecure.MD5() : nil
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: computingMD5 ? 1 << 20 : 0)
        for path in paths {
            let input = open(path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw BlobStoreError.missingBlob(path) }
            defer { close(input) }
            if md5 != nil {
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count >= 0 else { throw BlobStoreError.io("read", errno) }
                    if count == 0 { break }
                    md5?.update(data: buffer[0..<count])
                    try buffer.withUnsafeBytes { try writeAll(output, $0.baseAddress!, count) }
                    total += Int64(count)
                }
            } else {
                // Until end of file (no fstat: the part's own length is whatever the kernel sends).
                while true {
                    let sent = sendfile(output, input, nil, 1 << 30)
                    if sent < 0 && errno == EINTR { continue }
                    guard sent >= 0 else { throw BlobStoreError.io("sendfile", errno) }
                    if sent == 0 { break }
                    total += Int64(sent)
                }
            }
        }
        let digest = md5.map { $0.finalize().map { String(format: "%02x", $0) }.joined() }
        return (total, digest)
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
