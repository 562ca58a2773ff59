import ArgumentParser
import Foundation
import MockFiles

/// `mockfiles files …`: the Files API from a terminal, like the official `openai` CLI. Talks to
/// `OPENAI_BASE_URL` (mockfiles or the real service) with `OPENAI_API_KEY`.
struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "List, upload, show, delete and download files through the Files API.",
        discussion: """
            Reads OPENAI_BASE_URL (default https://api.openai.com/v1), OPENAI_API_KEY, and optionally
            OPENAI_ORG_ID and OPENAI_PROJECT_ID. Exit codes: 0 ok, 2 bad request (400, 409, 413, 415, 422),
            3 not found, 4 authentication or permission, 5 rate limited, 6 server error (5xx), 7 cannot
            connect, 8 local file error, 1 anything else, 64 usage.
            """,
        subcommands: [List.self, Create.self, Retrieve.self, Delete.self, Content.self]
    )
}

/// Where to send requests and how to print answers; shared by every `files` subcommand.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: "API base URL ending in /v1 (default: $OPENAI_BASE_URL or https://api.openai.com/v1).")
    var baseURL: String?

    @Option(name: .customLong("api-key"), help: "API key (default: $OPENAI_API_KEY).")
    var apiKey: String?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    func makeClient() throws -> FilesClient {
        let environment = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? environment["OPENAI_API_KEY"], !key.isEmpty else {
            throw ValidationError("No API key: set OPENAI_API_KEY or pass --api-key.")
        }
        let base = baseURL ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("The base URL '\(base)' is not an http(s) URL.")
        }
        return FilesClient(
            baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base,
            apiKey: key,
            organization: environment["OPENAI_ORG_ID"],
            project: environment["OPENAI_PROJECT_ID"]
        )
    }
}

/// When to draw a progress bar on stderr: by default for transfers of at least 1 MiB to a terminal.
struct ProgressOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Show a progress bar on stderr (default: on a terminal, for 1 MiB or more).")
    var progress: Bool?

    func bar(label: String, total: Int64?) -> ProgressBar? {
        let wanted = progress ?? (isatty(STDERR_FILENO) == 1 && (total ?? .max) >= 1 << 20)
        return wanted ? ProgressBar(label: label, total: total) : nil
    }
}

extension ClientOptions {
    /// Runs a subcommand body with a client, turning API and transport failures into a message and
    /// an exit code; the client's connections are closed however it ends.
    func run(_ body: (FilesClient) async throws -> Void) async throws {
        let client = try makeClient()
        do {
            try await body(client)
            await client.shutdown()
        } catch let error as FilesClientError {
            await client.shutdown()
            FileHandle.standardError.write(Data("mockfiles: \(URLRedaction.redacted(error.message))\n".utf8))
            throw ExitCode(error.exitCode)
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
