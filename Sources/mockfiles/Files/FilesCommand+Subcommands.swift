import ArgumentParser
import Foundation

extension FilesCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List files, newest first (one page unless --all).")

        @OptionGroup var client: ClientOptions
        @Option(help: "Only files with this purpose.") var purpose: String?
        @Option(help: "Files per page (1-10000).") var limit: Int?
        @Option(help: "asc or desc (default desc).") var order: String?
        @Option(help: "Start after this file id.") var after: String?
        @Flag(help: "Follow has_more and list every page.") var all = false

        func run() async throws {
            try await client.run { api in
                var page = try await api.list(purpose: purpose, limit: limit, order: order, after: after)
                var files = page.items
                while all, page.hasMore, let last = page.lastID {
                    page = try await api.list(purpose: purpose, limit: limit, order: order, after: last)
                    files += page.items
                }
                if client.json {
                    // With --all the pages are joined into one list object.
                    let body = all ? FileList.joined(files).json : page.json
                    Output.printJSON(body)
                } else {
                    Output.printTable(files)
                    if page.hasMore, let last = page.lastID {
                        Output.note("more files: add --after \(last), or --all")
                    }
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a file.")

        @OptionGroup var client: ClientOptions
        @OptionGroup var progress: ProgressOptions
        @Argument(help: "The file to upload.") var file: String
        @Option(help: "assistants, batch, fine-tune, vision, user_data or evals.") var purpose: String
        @Option(name: .customLong("expires-after"), help: "Seconds after creation when the file expires.") var expiresAfter: Int?

        func run() async throws {
            try await client.run { api in
                let created = try await api.create(
                    path: file,
                    purpose: purpose,
                    expiresAfterSeconds: expiresAfter,
                    progress: { total in progress.bar(label: "uploading", total: total) }
                )
                client.json ? Output.printJSON(created.json) : Output.printTable([created])
            }
        }
    }

    struct Retrieve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one file.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The file id.") var id: String

        func run() async throws {
            try await client.run { api in
                let file = try await api.retrieve(id: id)
                client.json ? Output.printJSON(file.json) : Output.printTable([file])
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a file.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The file id.") var id: String

        func run() async throws {
            try await client.run { api in
                let deletion = try await api.delete(id: id)
                client.json ? Output.printJSON(deletion) : print("deleted \(id)")
            }
        }
    }

    struct Content: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a file's bytes to stdout or to a file.")

        @OptionGroup var client: ClientOptions
        @OptionGroup var progress: ProgressOptions
        @Argument(help: "The file id.") var id: String
        @Option(name: .shortAndLong, help: "Write to this path (created or replaced only when the download is complete); - for stdout.")
        var output: String?

        func run() async throws {
            try await client.run { api in
                try await api.content(
                    id: id,
                    to: try Self.outputFile(output),
                    progress: { total in progress.bar(label: "downloading", total: total) }
                )
            }
        }

        /// The file to write, or nil for stdout. Checked before anything is downloaded: the
        /// command replaces a file it was asked to write, never a directory (replacing one would
        /// remove it), and an empty path names nothing.
        static func outputFile(_ output: String?) throws -> String? {
            guard let output, output != "-" else { return nil }
            guard !output.isEmpty else { throw FilesClientError.usage("-o needs a path (or - for standard output)") }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
                throw FilesClientError.localFile("cannot write \(output): is a directory")
            }
            return output
        }
    }
}
