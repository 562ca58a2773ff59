import Foundation
import Glibc

/// An `-o FILE` written under a temporary name beside FILE (same directory, so the rename stays on
/// one file system) and renamed over it only once complete and synced: a failure halfway, or a
/// crash, leaves FILE as it was, and the temporary file is removed on failure.
struct AtomicOutputFile {
    let path: String
    let temporaryPath: String
    let handle: FileHandle

    /// Creates the temporary file, `.NAME.XXXXXXXX.tmp`, readable as a new file would be (umask).
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SnapshotCommand.failure("cannot write \(path): is a directory")
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var descriptor: Int32 = -1
        var candidate = ""
        for _ in 0..<16 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            candidate = directory + "/." + url.lastPathComponent + "." + suffix + ".tmp"
            descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw SnapshotCommand.failure("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        temporaryPath = candidate
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Runs `body` with the temporary file; on success syncs it, renames it over `path` and syncs
    /// the directory, otherwise removes it and rethrows.
    func write<Result>(_ body: (FileHandle) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(handle)
            try handle.synchronize()
            try handle.close()
            guard rename(temporaryPath, path) == 0 else {
                throw SnapshotCommand.failure("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            Self.synchronizeDirectory(of: path)
            return result
        } catch {
            try? handle.close()
            unlink(temporaryPath)
            throw error
        }
    }

    /// Makes the rename durable; a directory that cannot be opened is left to the file system.
    static func synchronizeDirectory(of path: String) {
        let descriptor = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
