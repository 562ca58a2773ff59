import ArgumentParser

@main
struct MockFilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mockfiles",
        abstract: "A self-hosted server for the OpenAI Files and Uploads APIs, for tests and offline development.",
        subcommands: [ServeCommand.self, SeedCommand.self, SnapshotCommand.self, FilesCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
