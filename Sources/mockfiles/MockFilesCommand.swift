import ArgumentParser
import Foundation
import MockFiles

@main
struct MockFilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mockfiles",
        abstract: "A self-hosted server for the OpenAI Files and Uploads APIs, for tests and offline development.",
        version: "mockfiles \(BuildInfo.version) (commit \(BuildInfo.commit))",
        subcommands: [ServeCommand.self, SeedCommand.self, SnapshotCommand.self, FilesCommand.self, BatchesCommand.self, HealthCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// ArgumentParser's own `main`, except that an error's message has any URL's credentials
    /// masked before it is printed: it can quote a flag's value (`--database-url`, `--base-url`).
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let text = fullMessage(for: error)
            if code == .success {
                if !text.isEmpty { print(text) }
            } else if !text.isEmpty {
                FileHandle.standardError.write(Data((URLRedaction.redacted(text) + "\n").utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}
