import ArgumentParser
import Foundation

extension BatchesCommand {
    /// Polls a batch until it ends: a progress line on stderr whenever its status or counts move,
    /// then the batch on stdout and where its output and error files are.
    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until a batch is completed, failed, expired or cancelled; exit 0 only when completed."
        )

        @OptionGroup var client: ClientOptions
        @Argument(help: "The batch id.") var id: String
        @Option(help: "Seconds between polls.") var interval: Double = 2
        @Option(help: "Give up after this many seconds (exit 10).") var timeout: Double?

        func validate() throws {
            guard interval.isFinite, interval > 0, interval <= 3600 else {
                throw ValidationError("--interval takes seconds, above 0 and at most 3600.")
            }
            if let timeout, !(timeout.isFinite && timeout >= 0) { throw ValidationError("--timeout takes seconds, 0 or more.") }
        }

        func run() async throws {
            try await client.run { api in
                let started = ContinuousClock.now
                var shown = ""
                var batch = try await api.retrieveBatch(id: id)
                while true {
                    let line = "\(batch.id): \(batch.status), \(batch.counts) done/failed/total"
                    if line != shown { Output.note(line) }
                    shown = line
                    if batch.isFinal { break }
                    if let timeout, ContinuousClock.now - started >= .seconds(timeout) {
                        Output.note("still \(batch.status) after \(Self.seconds(timeout)) s")
                        throw ExitCode(BatchesCommand.timedOut)
                    }
                    try await Task.sleep(for: .seconds(interval))
                    batch = try await api.retrieveBatch(id: id)
                }
                client.json ? Output.printJSON(batch.json) : BatchInfo.printTable([batch])
                for error in batch.errorLines { Output.note(error) }
                if let output = batch.outputFileID { Output.note("output file: \(output) (mockfiles files content \(output))") }
                if let errors = batch.errorFileID { Output.note("error file: \(errors) (mockfiles files content \(errors))") }
                if batch.status != "completed" { throw ExitCode(BatchesCommand.endedUnfinished) }
            }
        }

        static func seconds(_ value: Double) -> String {
            value == value.rounded() ? String(Int64(value)) : String(value)
        }
    }
}
