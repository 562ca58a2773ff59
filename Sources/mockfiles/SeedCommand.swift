import ArgumentParser
import Foundation
import MockFiles

/// `mockfiles seed`: fill a data directory with many files quickly (benchmarks, large-store tests).
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Add many small files to a data directory, fast. Run it while no server uses the directory."
    )

    @Option(name: .customLong("data-dir"), help: "The data directory to fill.")
    var dataDir = "./data"

    @Option(help: "How many files to add.")
    var count: Int

    @Option(help: "Comma-separated purposes, used in turn.")
    var purposes = "user_data"

    @Option(help: "Bytes per file.")
    var bytes = 64

    @Option(name: .customLong("files-per-second"), help: "Files sharing each created_at second.")
    var filesPerSecond = 1000

    @Option(name: .customLong("tenant-key"), help: "Tenant key the files belong to (`shared` is the namespace keys share in the default tenancy).")
    var tenantKey = "shared"

    @Option(name: .customLong("id-seed"), help: "Seed for reproducible ids.")
    var idSeed: UInt64?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard bytes >= 0 else { throw ValidationError("--bytes must not be negative") }
        guard filesPerSecond > 0 else { throw ValidationError("--files-per-second must be positive") }
    }

    func run() async throws {
        var options = StoreSeeder.Options(count: count)
        options.purposes = try purposes.split(separator: ",").map { name in
            guard let purpose = Purpose(rawValue: String(name)) else { throw ValidationError("unknown purpose '\(name)'") }
            return purpose
        }
        options.bytesPerFile = bytes
        options.filesPerSecond = filesPerSecond
        options.tenantKey = tenantKey
        options.seed = idSeed
        let started = Date()
        let made = try await StoreSeeder(dataDirectory: dataDir).seed(options) { done in
            if done % 100_000 == 0 { FileHandle.standardError.write(Data("seeded \(done)\n".utf8)) }
        }
        let seconds = Date().timeIntervalSince(started)
        print("seeded \(made) files into \(dataDir) in \(String(format: "%.1f", seconds)) s")
    }
}
