import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// `POST /admin/snapshot` replaces the state with an archive, all or nothing: a restored
/// snapshot exports byte for byte as it was saved, a bad archive changes nothing and leaves no
/// staged bytes behind, and traffic during an import sees the old state or the new, never a mix.
@Suite struct SnapshotImportTests {
    typealias Entry = (name: String, data: [UInt8])

    /// A state worth carrying: files of two purposes, an open Upload with a part, a moved
    /// clock and a fault rule that has fired once.
    static func populate(_ client: any TestClientProtocol) async throws -> (fileIDs: [String], uploadID: String, partID: String) {
        var fileIDs: [String] = []
        for (index, purpose) in ["assistants", "batch", "user_data"].enumerated() {
            let contents = purpose == "batch" ? Array("{\"custom_id\":\"a\"}\n".utf8) : Array("file \(index) of the snapshot".utf8)
            let file = try await client.createFile(.createFile(purpose: purpose, filename: "f\(index).jsonl", contents: contents))
            fileIDs.append(try #require(file["id"] as? String))
        }
        let uploadID = try await client.createUpload(bytes: 10)
        let partID = try #require(try await client.addPart(uploadID, Array("half!".utf8)).1["id"] as? String)
        _ = try await client.postJSON("/admin/clock", ["advance_seconds": 90])
        _ = try await client.postJSON("/admin/faults", ["path": "/v1/models", "status": 503, "times": 3])
        _ = try await client.getJSON("/v1/models")
        return (fileIDs, uploadID, partID)
    }

    static func export(_ client: any TestClientProtocol) async throws -> ByteBuffer {
        try await client.execute(uri: "/admin/snapshot", method: .get) { response in
            #expect(response.status == .ok)
            return response.body
        }
    }

    static func restore(_ client: any TestClientProtocol, _ archive: ByteBuffer) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/admin/snapshot", method: .post, headers: [.contentType: "application/x-tar"], body: archive) {
            ($0.status, jsonObject($0.body))
        }
    }

    static func tar(_ entries: [Entry]) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for entry in entries {
            buffer.writeBytes(try TarHeader(name: entry.name, size: Int64(entry.data.count)).encoded())
            buffer.writeBytes(entry.data)
            buffer.writeRepeatingByte(0, count: TarHeader.padding(after: Int64(entry.data.count)))
        }
        buffer.writeRepeatingByte(0, count: 2 * TarHeader.blockSize)
        return buffer
    }

    /// What a client sees of the state: the list, every file's bytes, the Upload, the clock and the rules.
    static func visibleState(_ client: any TestClientProtocol, uploadID: String) async throws -> String {
        var state = ""
        let (_, list) = try await client.getJSON("/v1/files?limit=100")
        let files = try #require(list["data"] as? [[String: Any]])
        state += String(decoding: try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys]), as: UTF8.self)
        for file in files {
            let id = try #require(file["id"] as? String)
            state += try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: testKeyHeaders) {
                "\n\(id): \($0.status) " + String(decoding: $0.body.readableBytesView, as: UTF8.self)
            }
        }
        let (_, upload) = try await client.getJSON("/v1/uploads/\(uploadID)")
        let (_, clock) = try await client.getJSON("/admin/clock")
        let (_, faults) = try await client.getJSON("/admin/faults")
        for value in [upload, clock, faults] {
            state += "\n" + String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        return state
    }

    @Test func aRestoredSnapshotIsTheStateItSavedOnAFreshDirectory() async throws {
        let original = try TestServer()
        let copy = try TestServer(idSeed: 7)
        defer {
            original.remove()
            copy.remove()
        }
        let (archive, state, made) = try await original.test { client in
            let made = try await Self.populate(client)
            return (try await Self.export(client), try await Self.visibleState(client, uploadID: made.uploadID), made)
        }
        try await copy.test { client in
            // Something to be replaced: a file of the copy's own.
            _ = try await client.createFile(.createFile(contents: Array("replaced".utf8)))
            for _ in 0..<2 {
                let (status, counts) = try await Self.restore(client, archive)
                #expect(status == .ok, "\(counts)")
                #expect(counts["files_restored"] as? Int == 3 && counts["uploads_restored"] as? Int == 1 && counts["parts_restored"] as? Int == 1)
                #expect(try await Self.visibleState(client, uploadID: made.uploadID) == state)
                // Restored twice, the archive it gives back is the one it took, byte for byte.
                #expect(try await Self.export(client) == archive)
            }
            // Only the restored files' and the part's bytes are stored; nothing staged is left.
            let blobs = Set(copy.blobPaths().map { URL(fileURLWithPath: $0).lastPathComponent })
            #expect(blobs == Set(made.fileIDs + [made.partID]) && copy.temporaryFiles().isEmpty)
            // The Upload goes on where it stopped.
            let second = try #require(try await client.addPart(made.uploadID, Array("done!".utf8)).1["id"] as? String)
            let (status, upload) = try await client.postJSON("/v1/uploads/\(made.uploadID)/complete", ["part_ids": [made.partID, second]])
            let fileID = try #require((upload["file"] as? [String: Any])?["id"] as? String, "\(status) \(upload)")
            let content = try await client.execute(uri: "/v1/files/\(fileID)/content", method: .get, headers: testKeyHeaders) {
                String(decoding: $0.body.readableBytesView, as: UTF8.self)
            }
            #expect(content == "half!done!")
        }
    }

    /// Each bad archive: how it is made from a good one, and what the 400 must name.
    static let badArchives: [(String, @Sendable ([Entry]) -> [Entry], String)] = [
        (
            "a flipped byte", { entries in entries.map { $0.name.hasPrefix("blobs/") ? ($0.name, [$0.data[0] ^ 1] + $0.data.dropFirst()) : $0 } },
            "blobs/file-"
        ),
        ("no trailer", { Array($0.dropLast()) }, "mockfiles-snapshot-end.json"),
        ("a record without its bytes", { entries in entries.filter { !$0.name.hasPrefix("parts/") } }, "uploads/upload_"),
        (
            "bytes without a record", { entries in entries.filter { $0.name != entries.first { $0.name.hasPrefix("files/") }!.name } },
            "no record claims"
        ),
        ("a stranger", { entries in [entries[0], ("../../etc/passwd", Array("x".utf8))] + entries.dropFirst() }, "../../etc/passwd"),
        ("a blob named like a path", { entries in [entries[0], ("blobs/file-../x", Array("x".utf8))] + entries.dropFirst() }, "blobs/file-../x"),
        (
            "a wrong count", { entries in entries.dropLast() + [("mockfiles-snapshot-end.json", Array(#"{"files":9,"uploads":1,"parts":1}"#.utf8))] },
            "counts 9 files"
        ),
        ("no header", { Array($0.dropFirst()) }, "must begin with mockfiles-snapshot.json"),
        // Values the API refuses are refused in an archive too (each once crashed a server).
        ("a clock past year 9999", { edited($0, "mockfiles-snapshot.json") { $0["clock_frozen_at"] = 1e300 } }, "The clock must stay between"),
        (
            "a clock offset past year 9999",
            {
                edited($0, "mockfiles-snapshot.json") {
                    $0["clock_offset"] = 1e15
                    $0["clock_frozen_at"] = nil
                }
            }, "The clock must stay between"
        ),
        ("a fault answering 1000", { editedRule($0) { $0["status"] = 1000 } }, "Invalid value for 'status': 1000"),
        ("a fault answering -5", { editedRule($0) { $0["status"] = -5 } }, "Invalid value for 'status': -5"),
        ("a fault answering 101", { editedRule($0) { $0["status"] = 101 } }, "Invalid value for 'status': 101"),
        ("a fault answering 204", { editedRule($0) { $0["status"] = 204 } }, "Invalid value for 'status': 204"),
        ("a fault waiting a year", { editedRule($0) { $0["delayMilliseconds"] = 31_536_000_000 } }, "delay_ms"),
        ("a fault with a header split", { editedRule($0) { $0["headers"] = ["x-a": "1\r\nx-b: 2"] } }, "header 'x-a'"),
        ("a fault pattern of 3000 bytes", { editedRule($0) { $0["pathPattern"] = String(repeating: "*a", count: 1500) } }, "'path'"),
        (
            "1001 fault rules",
            { entries in
                edited(entries, "mockfiles-snapshot.json") { header in
                    let rule = (header["fault_rules"] as! [[String: Any]])[0]
                    header["fault_rules"] = (1...1001).map { number in rule.merging(["id": "fault_\(number)"]) { $1 } }
                }
            }, "1001 fault rules"
        ),
        (
            "an Upload that lives for ever", { edited($0, "uploads/") { $0["file_lifetime_seconds"] = Int64.max - 10 } },
            "It must be between 3600 (1 hour) and 2592000"
        ),
        ("an Upload past the size limit", { edited($0, "uploads/") { $0["bytes"] = 9 << 30 } }, "File is too large"),
        ("an Upload of a negative size", { edited($0, "uploads/") { $0["bytes"] = -1 } }, "must not be negative"),
        ("parts past the Upload's bytes", { edited($0, "uploads/") { $0["bytes"] = 2 } }, "more than the 2 the Upload declares"),
        (
            "an Upload with a video type",
            {
                edited($0, "uploads/") {
                    $0["purpose"] = "vision"
                    $0["mime_type"] = "video/mp4"
                }
            }, "mime_type"
        ),
        ("a file made in year 10000", { edited($0, "files/") { $0["created_at"] = 253_402_300_800 } }, "'created_at' must be"),
        ("a file expiring before 1970", { edited($0, "files/") { $0["expires_at"] = -1 } }, "'expires_at' must be"),
        ("a file without a tenant", { edited($0, "files/") { $0["tenant"] = "" } }, "'tenant' is empty"),
        (
            "another version",
            { entries in
                [("mockfiles-snapshot.json", Array(#"{"format":"mockfiles-snapshot","version":3,"clock_offset":0,"fault_rules":[]}"#.utf8))]
                    + entries.dropFirst()
            }, "version 3"
        ),
    ]

    /// The entries with the first JSON entry named `prefix`… changed by `edit`.
    static func edited(_ entries: [Entry], _ prefix: String, _ edit: (inout [String: Any]) -> Void) -> [Entry] {
        var done = false
        return entries.map { entry in
            guard !done, entry.name.hasPrefix(prefix) else { return entry }
            done = true
            var object = try! JSONSerialization.jsonObject(with: Data(entry.data)) as! [String: Any]
            edit(&object)
            return (entry.name, Array(try! JSONSerialization.data(withJSONObject: object)))
        }
    }

    /// The header's first fault rule changed by `edit`.
    static func editedRule(_ entries: [Entry], _ edit: @escaping (inout [String: Any]) -> Void) -> [Entry] {
        edited(entries, "mockfiles-snapshot.json") { header in
            var rules = header["fault_rules"] as! [[String: Any]]
            edit(&rules[0])
            header["fault_rules"] = rules
        }
    }

    @Test func aBadArchiveChangesNothingAndNamesTheEntry() async throws {
        let source = try TestServer()
        let target = try TestServer(idSeed: 7)
        defer {
            source.remove()
            target.remove()
        }
        let archive = try await source.test { client in
            _ = try await Self.populate(client)
            return try await Self.export(client)
        }
        let entries = try SnapshotExportTests.entries(of: archive)
        try await target.test { client in
            let kept = try await client.createUpload(bytes: 3)
            _ = try await client.createFile(.createFile(contents: Array("kept".utf8)))
            let before = try await Self.visibleState(client, uploadID: kept)
            let blobsBefore = Set(target.blobPaths())
            var bad = Self.badArchives.map { ($0.0, try! Self.tar($0.1(entries)), $0.2) }
            var cut = archive
            cut.moveWriterIndex(to: archive.readableBytes / 2)
            bad.append(("cut in the middle", cut, "cut short"))
            for (what, body, named) in bad {
                let (status, answer) = try await Self.restore(client, body)
                let error = answer["error"] as? [String: Any]
                #expect(status == .badRequest && error?["code"] as? String == "invalid_snapshot", "\(what): \(answer)")
                #expect((error?["message"] as? String)?.contains(named) == true, "\(what): \(answer)")
                #expect(try await Self.visibleState(client, uploadID: kept) == before, "\(what)")
                #expect(Set(target.blobPaths()) == blobsBefore && target.temporaryFiles().isEmpty, "\(what)")
            }
        }
    }

    @Test func aBlobLargerThanTheServerTakesIsRefusedBeforeItIsWritten() async throws {
        let small = try TestServer { settings in
            settings.files.maxFileBytes = 1000
            settings.uploads.maxUploadBytes = 1000
        }
        defer { small.remove() }
        try await small.test { client in
            let json = Array(#"{"format":"mockfiles-snapshot","version":1,"clock_offset":0,"fault_rules":[]}"#.utf8)
            var archive = ByteBuffer(bytes: try TarHeader(name: SnapshotHeader.entryName, size: Int64(json.count)).encoded())
            archive.writeBytes(json)
            archive.writeRepeatingByte(0, count: TarHeader.padding(after: Int64(json.count)))
            // Only the header of a 5 GiB entry: the refusal must not wait for its bytes.
            archive.writeBytes(try TarHeader(name: "blobs/file-huge", size: 5 << 30).encoded())
            let (status, answer) = try await Self.restore(client, archive)
            let message = (answer["error"] as? [String: Any])?["message"] as? String
            #expect(status == .badRequest && message?.contains("'blobs/file-huge': 5368709120 bytes is more than") == true, "\(answer)")
        }
        let source = try TestServer()
        defer { source.remove() }
        let archive = try await source.test { client in
            _ = try await client.createFile(.createFile(contents: Array(repeating: 7, count: 2000)))
            return try await Self.export(client)
        }
        try await small.test { client in
            let (status, answer) = try await Self.restore(client, archive)
            let message = (answer["error"] as? [String: Any])?["message"] as? String
            #expect(
                status == .badRequest && message?.contains("2000 bytes is more than the largest file this server takes (1000)") == true,
                "\(answer)"
            )
        }
        #expect(small.blobPaths().isEmpty && small.temporaryFiles().isEmpty)
    }

    @Test func restoreTakesTarOnly() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let status = try await client.execute(
                uri: "/admin/snapshot",
                method: .post,
                headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "x")
            ) { $0.status }
            #expect(status == .unsupportedMediaType)
        }
    }

    /// A reset while an archive streams in takes the staged bytes: the import refuses to finish
    /// (409), and the state is the reset one.
    @Test func aResetDuringTheImportStopsIt() async throws {
        let source = try TestServer()
        let live = try TestServer(idSeed: 7)
        defer {
            source.remove()
            live.remove()
        }
        let archive = try await source.test { client in
            _ = try await Self.populate(client)
            return try await Self.export(client)
        }
        let importer = SnapshotImporter(files: live.service, uploads: live.uploads, controls: live.server.controls)
        let half = archive.readableBytes / 2
        let (resetHappened, signal) = AsyncStream.makeStream(of: Void.self)
        let importing = Task {
            try await importer.importSnapshot(
                from: AsyncStream { continuation in
                    Task {
                        continuation.yield(archive.getSlice(at: 0, length: half)!)
                        for await _ in resetHappened { break }
                        continuation.yield(archive.getSlice(at: half, length: archive.readableBytes - half)!)
                        continuation.finish()
                    }
                }
            )
        }
        try await live.test { client in
            try await Task.sleep(for: .milliseconds(50))
            let (status, _) = try await client.postJSON("/admin/reset", [String: Any]())
            #expect(status == .ok)
            signal.yield()
            await #expect(throws: SnapshotImportError.interruptedByReset) { try await importing.value }
            let (_, list) = try await client.getJSON("/v1/files")
            #expect((list["data"] as? [Any])?.isEmpty == true)
        }
        #expect(live.blobPaths().isEmpty && live.temporaryFiles().isEmpty)
    }

    /// Reads and writes go on while a slow archive streams in; every list shows the old files or
    /// the new ones, never some of each, and nothing fails.
    @Test func trafficDuringAnImportSeesTheOldStateOrTheNew() async throws {
        let source = try TestServer()
        let live = try TestServer(idSeed: 7)
        defer {
            source.remove()
            live.remove()
        }
        let (archive, newIDs) = try await source.test { client in
            let made = try await Self.populate(client)
            return (try await Self.export(client), made.fileIDs)
        }
        try await live.test { client in
            var oldIDs: [String] = []
            for index in 0..<5 {
                oldIDs.append(try #require(try await client.createFile(.createFile(contents: Array("old \(index)".utf8)))["id"] as? String))
            }
            let importer = SnapshotImporter(files: live.service, uploads: live.uploads, controls: live.server.controls)
            // The archive in 512-byte pieces, a pause after each: the import takes a while.
            let pieces = stride(from: 0, to: archive.readableBytes, by: 512).map { offset in
                archive.getSlice(at: offset, length: min(512, archive.readableBytes - offset))!
            }
            let importing = Task {
                try await importer.importSnapshot(
                    from: AsyncStream { continuation in
                        Task {
                            for piece in pieces {
                                continuation.yield(piece)
                                try? await Task.sleep(for: .milliseconds(20))
                            }
                            continuation.finish()
                        }
                    }
                )
            }
            var sawOld = 0
            var created: [String] = []
            while true {
                let (status, list) = try await client.getJSON("/v1/files?limit=10000")
                #expect(status == .ok)
                let ids = Set(((list["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
                let old = ids.isSuperset(of: oldIDs) && ids.isDisjoint(with: newIDs)
                let new = ids.isSuperset(of: newIDs) && ids.isDisjoint(with: oldIDs)
                #expect(old || new, "a mix of old and new: \(ids)")
                if old { sawOld += 1 }
                for id in ids where newIDs.contains(id) || oldIDs.contains(id) {
                    let status = try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: testKeyHeaders) { $0.status }
                    #expect(status == .ok, "\(id)")
                    break
                }
                let file = try await client.createFile(.createFile(contents: Array("during".utf8)))
                created.append(try #require(file["id"] as? String))
                if new { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            let counts = try await importing.value
            // The loop ends at the first new list; before it, at least one list saw the old state.
            #expect(counts.files == newIDs.count && sawOld > 0, "the first list came after the swap")
            let (_, list) = try await client.getJSON("/v1/files?limit=10000")
            let ids = Set(((list["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            #expect(ids.isSuperset(of: newIDs) && ids.isDisjoint(with: oldIDs))
            // The file made after the swap is there; those made before it went with the old state
            // (the one made in the round the swap happened in may be either side of it).
            #expect(ids.contains(created.last!) && ids.isDisjoint(with: created.dropLast(2)))
        }
    }

    /// A base-256 size with the low 64 bits set read as -1 once and trapped the reader; the server
    /// now answers 400 and goes on serving.
    @Test func aSizeThatDoesNotFitInt64IsA400() async throws {
        let target = try TestServer()
        defer { target.remove() }
        try await target.test { client in
            let json = Array(#"{"format":"mockfiles-snapshot","version":1,"clock_offset":0,"fault_rules":[]}"#.utf8)
            var archive = ByteBuffer(bytes: try TarHeader(name: SnapshotHeader.entryName, size: Int64(json.count)).encoded())
            archive.writeBytes(json)
            archive.writeRepeatingByte(0, count: TarHeader.padding(after: Int64(json.count)))
            archive.writeBytes(
                try TarFormatTests.resealed(TarHeader(name: "blobs/file-x", size: 1)) {
                    $0.replaceSubrange(124..<136, with: [0x80, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
                }
            )
            archive.writeRepeatingByte(0, count: 4096)
            let (status, answer) = try await Self.restore(client, archive)
            let message = (answer["error"] as? [String: Any])?["message"] as? String
            #expect(status == .badRequest && message?.contains("unreadable header field 'size'") == true, "\(answer)")
            #expect(try await client.getJSON("/v1/files").0 == .ok)
        }
    }

    /// `mockfiles snapshot import` (a server's stores with no HTTP) restores the clock and the fault
    /// rules as `POST /admin/snapshot` does, and a server started on the directory takes them up.
    @Test func anOfflineImportKeepsTheClockAndRulesForTheNextStart() async throws {
        let source = try TestServer()
        let offline = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-test-\(UUID().uuidString)").path
        defer {
            source.remove()
            try? FileManager.default.removeItem(atPath: offline)
        }
        let archive = try await source.test { client in
            _ = try await Self.populate(client)
            return try await Self.export(client)
        }
        let path = offline + ".tar"
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data(archive.readableBytesView))
        var settings = ServerSettings()
        settings.dataDirectory = offline
        let importing = try MockFilesServer(settings: settings, storage: .embedded(dataDirectory: offline))
        let counts = try await importing.importSnapshot(fromFileAt: path)
        #expect(counts.files == 3 && counts.uploads == 1)
        // A new process on the directory: its clock and rules start as the archive's.
        let started = try MockFilesServer(settings: settings, storage: .embedded(dataDirectory: offline))
        #expect(!started.clock.isFrozen || started.clock.seconds != source.clock.seconds)
        try await started.controls.loadSavedControls()
        #expect(started.clock.isFrozen && started.clock.seconds == source.clock.seconds)
        let rules = try await started.controls.faultRules()
        #expect(rules.map(\.pathPattern) == ["/v1/models"] && rules.first?.remaining == 2 && rules.first?.fired == 1)
        // And an offline export of that directory carries them again, byte for byte.
        var exported = ByteBuffer()
        let again = try MockFilesServer(settings: settings, storage: .embedded(dataDirectory: offline))
        try await again.exportSnapshot { chunk in
            var chunk = chunk
            exported.writeBuffer(&chunk)
        }
        #expect(exported == archive)
    }
}
