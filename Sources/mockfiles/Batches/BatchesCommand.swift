import ArgumentParser
import Foundation

/// `mockfiles batches …`: the Batches API from a terminal, against `OPENAI_BASE_URL` (mockfiles or
/// the real service) with `OPENAI_API_KEY`, as `mockfiles files` does the Files API.
struct BatchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches",
        abstract: "Create, list, show, cancel and wait for batches through the Batches API.",
        discussion: """
            Reads OPENAI_BASE_URL (default https://api.openai.com/v1), OPENAI_API_KEY, and optionally
            OPENAI_ORG_ID and OPENAI_PROJECT_ID. Exit codes as for `mockfiles files` (0 ok, 2 bad request,
            3 not found, 4 authentication or permission, 5 rate limited, 6 server error, 7 cannot connect,
            8 local file error, 1 anything else, 64 usage), and from `wait`: 9 the batch ended failed,
            expired or cancelled, 10 it was still running when --timeout passed.
            """,
        subcommands: [Create.self, List.self, Retrieve.self, Cancel.self, Wait.self]
    )

    /// `wait`'s exit codes beyond the API's.
    static let endedUnfinished: Int32 = 9
    static let timedOut: Int32 = 10
}

extension BatchesCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a batch from a JSONL file (uploaded first, purpose batch) or an uploaded file's id."
        )

        @OptionGroup var client: ClientOptions
        @OptionGroup var progress: ProgressOptions
        @Argument(help: "A JSONL file to upload, or the id of a file uploaded with purpose batch.") var input: String
        @Option(help: "The endpoint every line calls, e.g. /v1/chat/completions.") var endpoint: String
        @Option(name: .customLong("completion-window"), help: "The completion window (the API takes 24h).") var completionWindow = "24h"
        @Option(help: "A metadata pair, key=value; may be given several times.") var metadata: [String] = []

        func run() async throws {
            let pairs = try Self.metadata(metadata)
            try await client.run { api in
                let inputID: String
                if FileManager.default.fileExists(atPath: input) {
                    let uploaded = try await api.create(
                        path: input,
                        purpose: "batch",
                        expiresAfterSeconds: nil,
                        progress: { total in progress.bar(label: "uploading", total: total) }
                    )
                    Output.note("uploaded \(input) as \(uploaded.id)")
                    inputID = uploaded.id
                } else if input.hasPrefix("file-") {
                    inputID = input
                } else {
                    throw FilesClientError.localFile("cannot read \(input): no such file (and not a file id)")
                }
                let batch = try await api.createBatch(inputFileID: inputID, endpoint: endpoint, completionWindow: completionWindow, metadata: pairs)
                client.json ? Output.printJSON(batch.json) : BatchInfo.printTable([batch])
            }
        }

        static func metadata(_ pairs: [String]) throws -> [String: String] {
            var metadata: [String: String] = [:]
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--metadata takes key=value (got '\(pair)').")
                }
                metadata[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return metadata
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List batches, newest first (one page unless --all).")

        @OptionGroup var client: ClientOptions
        @Option(help: "Batches per page (1-100).") var limit: Int?
        @Option(help: "Start after this batch id.") var after: String?
        @Flag(help: "Follow has_more and list every page.") var all = false

        func run() async throws {
            try await client.run { api in
                var page = try await api.listBatches(limit: limit, after: after)
                var batches = page.items
                while all, page.hasMore, let last = page.lastID {
                    page = try await api.listBatches(limit: limit, after: last)
                    batches += page.items
                }
                if client.json {
                    Output.printJSON(all ? BatchList.joined(batches).json : page.json)
                } else {
                    BatchInfo.printTable(batches)
                    if page.hasMore, let last = page.lastID { Output.note("more batches: add --after \(last), or --all") }
                }
            }
        }
    }

    struct Retrieve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one batch.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The batch id.") var id: String

        func run() async throws {
            try await client.run { api in
                let batch = try await api.retrieveBatch(id: id)
                client.json ? Output.printJSON(batch.json) : BatchInfo.printTable([batch])
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a batch (it is cancelling until its running lines end).")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The batch id.") var id: String

        func run() async throws {
            try await client.run { api in
                let batch = try await api.cancelBatch(id: id)
                client.json ? Output.printJSON(batch.json) : BatchInfo.printTable([batch])
            }
        }
    }
}
