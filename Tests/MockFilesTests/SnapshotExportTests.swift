import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// `GET /admin/snapshot` streams every file (bytes, then the record vouching for them), the open
/// Uploads with their parts, the clock and the fault rules, and a trailer with the counts.
@Suite struct SnapshotExportTests {
    static func entries(of body: ByteBuffer) throws -> [(name: String, data: [UInt8])] {
        var reader = TarReader()
        var entries: [(name: String, data: [UInt8])] = []
        for event in try reader.feed(body) {
            switch event {
            case .entry(let header): entries.append((header.name, []))
            case .data(let data): entries[entries.count - 1].data += Array(data.readableBytesView)
            case .entryEnd, .end: break
            }
        }
        try reader.finish()
        return entries
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    @Test func theArchiveHoldsFilesUploadsClockAndRulesInOrder() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let contents = Array("snapshot me".utf8)
            let fileID = try #require(try await client.createFile(.createFile(contents: contents))["id"] as? String)
            let uploadID = try await client.createUpload(bytes: 10)
            let partID = try #require(try await client.addPart(uploadID, Array("half!".utf8)).1["id"] as? String)
            _ = try await client.postJSON("/admin/clock", ["advance_seconds": 120])
            _ = try await client.postJSON("/admin/faults", ["path": "/v1/files", "status": 503, "times": 2])
            let body = try await client.execute(uri: "/admin/snapshot", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "application/x-tar")
                return response.body
            }
            let entries = try Self.entries(of: body)
            #expect(
                entries.map(\.name) == [
                    "mockfiles-snapshot.json", "blobs/\(fileID)", "files/\(fileID).json", "parts/\(partID)", "uploads/\(uploadID).json",
                    "mockfiles-snapshot-end.json",
                ]
            )
            let header = try JSONDecoder().decode(SnapshotHeader.self, from: Data(entries[0].data))
            // The test server's clock is frozen at 1_750_000_000; the advance moved it.
            #expect(header.version == 2 && header.clockFrozenAt == 1_750_000_120 && header.faultRules.map(\.remaining) == [2])
            #expect(entries[1].data == contents)
            let record = try JSONDecoder().decode(SnapshotFileRecord.self, from: Data(entries[2].data))
            #expect(record.sha256 == Self.hex(contents) && record.bytes == Int64(contents.count) && record.tenant == "shared")
            let upload = try JSONDecoder().decode(SnapshotUploadRecord.self, from: Data(entries[4].data))
            #expect(upload.parts.map(\.id) == [partID] && upload.parts[0].sha256 == Self.hex(Array("half!".utf8)))
            let trailer = try JSONDecoder().decode(SnapshotTrailer.self, from: Data(entries[5].data))
            #expect(trailer == SnapshotTrailer(files: 1, uploads: 1, parts: 1))
        }
    }

    @Test func bytesThatNoLongerMatchTheirDigestStopTheExport() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let fileID = try await server.test { client in
            try #require(try await client.createFile(.createFile(contents: Array("original".utf8)))["id"] as? String)
        }
        // Damage the stored bytes behind the server's back, keeping their length.
        let blob = try #require(server.blobPaths().first { $0.hasSuffix(fileID) })
        try Data("0riginal".utf8).write(to: URL(fileURLWithPath: blob))
        let exporter = SnapshotExporter(files: server.service, controls: server.server.controls)
        await #expect(throws: SnapshotError.self) { try await exporter.export { _ in } }
    }
}
