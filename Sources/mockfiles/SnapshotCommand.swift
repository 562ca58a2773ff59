import ArgumentParser
import Foundation
import MockFiles
import NIOCore

/// `mockfiles snapshot export|import`: the archive of `GET`/`POST /admin/snapshot`, offline,
/// against a data directory no server is using.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save a data directory's whole state as a tar archive, or replace it with one. Run it while no server uses the directory.",
        subcommands: [Export.self, Import.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the state (files, open Uploads, clock, fault rules) as a tar archive.")

        @Option(name: .customLong("data-dir"), help: "The data directory to read.")
        var dataDir = "./data"

        @Option(name: [.short, .customLong("output")], help: "Where to write the archive (default: standard output).")
        var output: String?

        /// To a file: under a temporary name, renamed over `output` only when complete, so a failed
        /// export leaves the previous archive whole.
        func run() async throws {
            let server = try SnapshotCommand.openServer(dataDirectory: dataDir, mustExist: true)
            let counts: SnapshotCounts
            do {
                if let output {
                    counts = try await AtomicOutputFile(path: output).write { destination in
                        try await server.exportSnapshot { chunk in try destination.write(contentsOf: chunk.readableBytesView) }
                    }
                } else {
                    counts = try await server.exportSnapshot { chunk in try FileHandle.standardOutput.write(contentsOf: chunk.readableBytesView) }
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw SnapshotCommand.failure("export failed: \(error)")
            }
            FileHandle.standardError.write(Data("exported \(counts)\n".utf8))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the state with a snapshot archive, all or nothing.")

        @Option(name: .customLong("data-dir"), help: "The data directory to replace the state of (made if missing).")
        var dataDir = "./data"

        @Argument(help: "The archive (from GET /admin/snapshot or mockfiles snapshot export).")
        var archive: String

        func run() async throws {
            let server = try SnapshotCommand.openServer(dataDirectory: dataDir, mustExist: false)
            do {
                let counts = try await server.importSnapshot(fromFileAt: archive)
                print("restored \(counts) into \(dataDir)")
            } catch let failure as SnapshotRestoreFailure {
                throw SnapshotCommand.failure("\(archive): \(failure)")
            }
        }
    }

    /// The embedded stores of `dataDirectory`, without HTTP or background services.
    static func openServer(dataDirectory: String, mustExist: Bool) throws -> MockFilesServer {
        if mustExist, !FileManager.default.fileExists(atPath: dataDirectory) {
            throw failure("no data directory at \(dataDirectory)")
        }
        var settings = ServerSettings()
        settings.dataDirectory = dataDirectory
        return try MockFilesServer(settings: settings, storage: .embedded(dataDirectory: dataDirectory))
    }

    /// One line on stderr and exit status 1.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("mockfiles: \(URLRedaction.redacted(message))\n".utf8))
        return ExitCode(1)
    }
}
