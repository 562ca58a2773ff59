import ArgumentParser
import Foundation

/// `serve --ephemeral`'s data directory: made fresh under the system's temporary directory and
/// removed when the server stops, so a test suite gets a clean mock per run with nothing to tidy.
/// (A process killed with SIGKILL cannot remove it; the name says what it was.)
struct EphemeralDirectory {
    let path: String

    init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/mockfiles-ephemeral-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ServeCommand.startupFailure("--ephemeral: cannot make a directory in \(base): \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
