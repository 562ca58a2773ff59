import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// Batches in a snapshot: every row comes back as it was (its status is a function of the row and
/// the restored clock, so a batch still running goes on and settles as it would have), the bytes of
/// a deleted input a batch still reads travel with it, and a bad batch record is refused.
@Suite struct SnapshotBatchesTests {
    typealias Entry = SnapshotImportTests.Entry

    /// A line answered 200; custom ids must differ within a file.
    static func chat(_ customID: String) -> String {
        #"{"custom_id":"\#(customID)","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}"#
    }
    static let refusedLine = #"{"custom_id":"no","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini"}}"#

    /// The batches made: by what they will show.
    struct Made: Sendable {
        var completed: String
        var validating: String
        var deletedInput: String
        var deletedInputFile: String
        var cancelled: String
        var failed: String
        var all: [String] { [completed, validating, deletedInput, cancelled, failed] }
    }

    static func input(_ client: any TestClientProtocol, _ lines: [String]) async throws -> String {
        let contents = Array((lines.joined(separator: "\n") + "\n").utf8)
        let file = try await client.createFile(.createFile(purpose: "batch", filename: "in.jsonl", contents: contents))
        return try #require(file["id"] as? String)
    }

    static func batch(_ client: any TestClientProtocol, input: String) async throws -> String {
        let (status, batch) = try await client.postJSON(
            "/v1/batches",
            ["input_file_id": input, "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": ["b": "2", "a": "1"]]
        )
        #expect(status == .ok, "\(batch)")
        return try #require(batch["id"] as? String)
    }

    /// A batch completed with its results made, one validating, one running on an input since
    /// deleted, one cancelled before it ran, one failed.
    static func populate(_ client: any TestClientProtocol) async throws -> Made {
        let good = try await input(client, [chat("a"), refusedLine, chat("b")])
        let completed = try await batch(client, input: good)
        _ = try await client.postJSON("/admin/clock", ["advance_seconds": 30])
        _ = try await client.getJSON("/v1/batches/\(completed)")  // makes its results
        let validating = try await batch(client, input: good)
        let doomed = try await input(client, [chat("a"), chat("b")])
        let deletedInput = try await batch(client, input: doomed)
        let deleted = try await client.execute(uri: "/v1/files/\(doomed)", method: .delete, headers: testKeyHeaders) { $0.status }
        #expect(deleted == .ok)
        let cancelled = try await batch(client, input: good)
        #expect(try await client.postJSON("/v1/batches/\(cancelled)/cancel", [String: Any]()).0 == .ok)
        let failed = try await batch(client, input: try await input(client, [chat("a"), "{not json"]))
        return Made(
            completed: completed,
            validating: validating,
            deletedInput: deletedInput,
            deletedInputFile: doomed,
            cancelled: cancelled,
            failed: failed
        )
    }

    static func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// What a client sees of the batches: the list, each batch, each result file's bytes; the
    /// result files' ids left out (each server names the files it makes).
    static func batchesSeen(_ client: any TestClientProtocol, _ made: Made) async throws -> String {
        var seen = ""
        func text(_ object: [String: Any]) throws -> String {
            var object = object
            for key in ["output_file_id", "error_file_id"] where object[key] is String { object[key] = "made" }
            if var data = object["data"] as? [[String: Any]] {
                for index in data.indices {
                    for key in ["output_file_id", "error_file_id"] where data[index][key] is String { data[index][key] = "made" }
                }
                object["data"] = data
            }
            return try Self.text(object)
        }
        seen += try text(try await client.getJSON("/v1/batches?limit=100").1) + "\n"
        for id in made.all {
            let (status, batch) = try await client.getJSON("/v1/batches/\(id)")
            seen += "\(status) " + (try text(batch)) + "\n"
            for key in ["output_file_id", "error_file_id"] {
                guard let file = batch[key] as? String else { continue }
                seen += try await client.execute(uri: "/v1/files/\(file)/content", method: .get, headers: testKeyHeaders) {
                    "\(key) \($0.status): " + String(decoding: $0.body.readableBytesView, as: UTF8.self) + "\n"
                }
            }
        }
        return seen
    }

    @Test func batchesComeBackAsTheyWereAndGoOnOnAFreshServer() async throws {
        let original = try TestServer()
        let copy = try TestServer(idSeed: 7)
        defer {
            original.remove()
            copy.remove()
        }
        let (archive, made, before) = try await original.test { client in
            let made = try await Self.populate(client)
            return (try await SnapshotImportTests.export(client), made, try await Self.batchesSeen(client, made))
        }
        // The deleted input's bytes come before the record that vouches for them.
        let names = try SnapshotExportTests.entries(of: archive).map(\.name)
        let inputAt = try #require(names.firstIndex(of: "inputs/\(made.deletedInputFile)"))
        #expect(names.firstIndex(of: "batches/\(made.deletedInput).json").map { $0 > inputAt } == true)
        #expect(names.filter { $0.hasPrefix("batches/") }.count == 5 && names.filter { $0.hasPrefix("inputs/") }.count == 1)
        try await copy.test { client in
            let (status, counts) = try await SnapshotImportTests.restore(client, archive)
            #expect(status == .ok && counts["batches_restored"] as? Int == 5, "\(counts)")
            #expect(try await Self.batchesSeen(client, made) == before)
            #expect(try await SnapshotImportTests.export(client) == archive)
            #expect(copy.blobPaths().contains { $0.hasSuffix("/" + made.deletedInputFile) })
        }
        // A minute on, both settle every batch still running, to the same bytes.
        let after = try await original.test { client in
            _ = try await client.postJSON("/admin/clock", ["advance_seconds": 60])
            return try await Self.batchesSeen(client, made)
        }
        try await copy.test { client in
            _ = try await client.postJSON("/admin/clock", ["advance_seconds": 60])
            #expect(try await Self.batchesSeen(client, made) == after)
            let (_, settled) = try await client.getJSON("/v1/batches/\(made.deletedInput)")
            #expect(settled["status"] as? String == "completed" && settled["output_file_id"] is String, "\(settled)")
        }
        // Its results made, the deleted input's bytes go, as they would have on the original.
        #expect(!copy.blobPaths().contains { $0.hasSuffix("/" + made.deletedInputFile) })
        #expect(!original.blobPaths().contains { $0.hasSuffix("/" + made.deletedInputFile) })
    }

    /// The record of `batchID` changed by `edit`, renamed when its id changes.
    static func editedBatch(_ entries: [Entry], _ batchID: String, _ edit: (inout [String: Any]) -> Void) -> [Entry] {
        entries.map { entry in
            guard entry.name == "batches/\(batchID).json" else { return entry }
            var object = try! JSONSerialization.jsonObject(with: Data(entry.data)) as! [String: Any]
            edit(&object)
            return ("batches/\(object["id"] as! String).json", Array(try! JSONSerialization.data(withJSONObject: object)))
        }
    }

    @Test func aBadBatchRecordIsRefusedAndChangesNothing() async throws {
        let source = try TestServer()
        let target = try TestServer(idSeed: 7)
        defer {
            source.remove()
            target.remove()
        }
        let (archive, made) = try await source.test { client in
            let made = try await Self.populate(client)
            return (try await SnapshotImportTests.export(client), made)
        }
        let entries = try SnapshotExportTests.entries(of: archive)
        let goodInput = try #require(entries.first { $0.name.hasPrefix("files/") && String(decoding: $0.data, as: UTF8.self).contains("\"batch\"") })
        let inputID = String(goodInput.name.dropFirst("files/".count).dropLast(".json".count))
        let bad: [(String, [Entry], String)] = [
            ("an id not server-made", Self.editedBatch(entries, made.failed) { $0["id"] = "batch_nothex" }, "is not a batch id"),
            ("no tenant", Self.editedBatch(entries, made.failed) { $0["tenant"] = "" }, "'tenant' is empty"),
            ("an unknown endpoint", Self.editedBatch(entries, made.failed) { $0["endpoint"] = "/v1/nothing" }, "/v1/nothing"),
            (
                "a stage longer than a day",
                Self.editedBatch(entries, made.validating) { batch in
                    var schedule = batch["schedule"] as! [String: Any]
                    schedule["finalizingMilliseconds"] = 86_400_001
                    batch["schedule"] = schedule
                },
                "each stage of 'schedule'"
            ),
            (
                "a deleted input without its bytes",
                Self.editedBatch(entries.filter { !$0.name.hasPrefix("inputs/") }, made.deletedInput) { $0["input_blob"] = nil },
                "neither its file nor inputs/\(made.deletedInputFile)"
            ),
            (
                "an input's bytes that do not match",
                Self.editedBatch(entries, made.deletedInput) { $0["input_blob"] = ["bytes": 3, "sha256": String(repeating: "0", count: 64)] },
                "inputs/\(made.deletedInputFile)"
            ),
            (
                "a result file that is the input",
                Self.editedBatch(entries, made.completed) { $0["output_file_id"] = inputID },
                "not a batch_output file of its tenant"
            ),
            (
                "result files of a batch whose results are not made",
                Self.editedBatch(entries, made.validating) { $0["output_file_id"] = inputID },
                "its results are not made"
            ),
            ("a wrong batch count", SnapshotImportTests.edited(entries, SnapshotTrailer.entryName) { $0["batches"] = 4 }, "and 4 batches"),
        ]
        try await target.test { client in
            let kept = try await Self.batch(client, input: try await Self.input(client, [Self.chat("a")]))
            let before = try Self.text(try await client.getJSON("/v1/batches").1)
            let blobsBefore = Set(target.blobPaths())
            for (what, changed, named) in bad {
                let (status, answer) = try await SnapshotImportTests.restore(client, try SnapshotImportTests.tar(changed))
                let error = answer["error"] as? [String: Any]
                #expect(status == .badRequest && (error?["message"] as? String)?.contains(named) == true, "\(what): \(answer)")
                #expect(try Self.text(try await client.getJSON("/v1/batches").1) == before, "\(what)")
                #expect(Set(target.blobPaths()) == blobsBefore && target.temporaryFiles().isEmpty, "\(what)")
            }
            #expect(try await client.getJSON("/v1/batches/\(kept)").0 == .ok)
        }
    }

    /// A version 1 archive, from before batches: no batch entries, no count of them. Restored, it
    /// leaves no batch.
    @Test func anArchiveFromBeforeBatchesRestores() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let fileID = try #require(try await client.createFile(.createFile(contents: Array("old".utf8)))["id"] as? String)
            let entries = try SnapshotExportTests.entries(of: try await SnapshotImportTests.export(client))
            let old: [Entry] = entries.map { entry in
                switch entry.name {
                case SnapshotHeader.entryName:
                    return (
                        entry.name,
                        Array(#"{"clock_offset":0,"clock_frozen_at":1750000000,"fault_rules":[],"format":"mockfiles-snapshot","version":1}"#.utf8)
                    )
                case SnapshotTrailer.entryName: return (entry.name, Array(#"{"files":1,"parts":0,"uploads":0}"#.utf8))
                default: return entry
                }
            }
            let batchID = try await Self.batch(client, input: try await Self.input(client, [Self.chat("a")]))
            let (status, counts) = try await SnapshotImportTests.restore(client, try SnapshotImportTests.tar(old))
            #expect(status == .ok && counts["files_restored"] as? Int == 1 && counts["batches_restored"] as? Int == 0, "\(counts)")
            #expect(try await client.getJSON("/v1/batches/\(batchID)").0 == .notFound)
            #expect((try await client.getJSON("/v1/batches").1["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.getJSON("/v1/files/\(fileID)").0 == .ok)
        }
    }
}
