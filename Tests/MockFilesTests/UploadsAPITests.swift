import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

extension TestClientProtocol {
    func postJSON(_ uri: String, _ body: Any, key: String = "sk-test") async throws -> (HTTPResponse.Status, [String: Any]) {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await execute(
            uri: uri,
            method: .post,
            headers: headers(key: key, [.contentType: "application/json"]),
            body: ByteBuffer(bytes: data)
        ) {
            ($0.status, jsonObject($0.body))
        }
    }

    func createUpload(
        bytes: Int,
        filename: String = "big.bin",
        purpose: String = "user_data",
        extra: [String: Any] = [:],
        key: String = "sk-test"
    )
        async throws -> String
    {
        var body: [String: Any] = ["filename": filename, "purpose": purpose, "bytes": bytes, "mime_type": "application/octet-stream"]
        body.merge(extra) { $1 }
        let (status, upload) = try await postJSON("/v1/uploads", body, key: key)
        #expect(status == .ok, "\(upload)")
        return try #require(upload["id"] as? String)
    }

    func addPart(_ uploadID: String, _ data: [UInt8], key: String = "sk-test") async throws -> (HTTPResponse.Status, [String: Any]) {
        var form = MultipartBody()
        form.file("data", filename: "upload", contents: data)
        return try await execute(
            uri: "/v1/uploads/\(uploadID)/parts",
            method: .post,
            headers: headers(key: key, [.contentType: form.contentType]),
            body: ByteBuffer(bytes: form.finished())
        ) { ($0.status, jsonObject($0.body)) }
    }
}

@Suite struct UploadsAPITests {
    static let chunks: [[UInt8]] = [Array(repeating: 1, count: 1000), Array(repeating: 2, count: 10), Array((0...255).map { UInt8($0) })]
    static var whole: [UInt8] { chunks.flatMap { $0 } }

    @Test func partsInAnyOrderBecomeOneFile() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(
                bytes: Self.whole.count,
                extra: ["expires_after": ["anchor": "created_at", "seconds": 7200]]
            )
            // Send the parts in parallel and out of order; complete names the order.
            let partIDs = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (index, chunk) in Self.chunks.enumerated().reversed() {
                    group.addTask {
                        let (status, part) = try await client.addPart(uploadID, chunk)
                        #expect(status == .ok && part["object"] as? String == "upload.part" && part["upload_id"] as? String == uploadID)
                        return (index, try #require(part["id"] as? String))
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            let ordered = (0..<Self.chunks.count).map { partIDs[$0]! }
            let md5 = Insecure.MD5.hash(data: Self.whole).map { String(format: "%02x", $0) }.joined()
            let (status, upload) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": ordered, "md5": md5])
            #expect(status == .ok, "\(upload)")
            #expect(upload["status"] as? String == "completed")
            let file = try #require(upload["file"] as? [String: Any])
            #expect(file["bytes"] as? Int == Self.whole.count && file["filename"] as? String == "big.bin")
            #expect(file["expires_at"] as? Int == 1_750_000_000 + 7200)
            let fileID = try #require(file["id"] as? String)
            try await client.execute(uri: "/v1/files/\(fileID)/content", method: .get, headers: testKeyHeaders) { response in
                #expect(Array(response.body.readableBytesView) == Self.whole)
            }
            let (_, list) = try await client.getJSON("/v1/files")
            #expect((list["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [fileID])
        }
        // Part blobs are gone; only the file's blob is left.
        #expect(server.blobPaths().count == 1)
    }

    @Test func createValidatesEveryField() async throws {
        let server = try TestServer { $0.uploads.maxUploadBytes = 1000 }
        defer { server.remove() }
        try await server.test { client in
            let valid: [String: Any] = ["filename": "a.jsonl", "purpose": "batch", "bytes": 10, "mime_type": "text/jsonl"]
            // Over the limit is the real service's `File is too large.`, with no param.
            let cases: [([String: Any?], String?)] = [
                (["filename": nil], "filename"), (["purpose": "nope"], "purpose"), (["bytes": 1001], nil), (["bytes": -1], "bytes"),
                (["bytes": "ten"], "bytes"), (["mime_type": nil], "mime_type"), (["filename": "a.csv"], nil),
                (["expires_after": ["anchor": "created_at", "seconds": 10]], "expires_after.seconds"), (["colour": "red"], "colour"),
                (["purpose": "vision", "filename": "a.png", "mime_type": "text/plain"], "mime_type"),
                (["purpose": "assistants", "filename": "a.bin", "mime_type": "application/octet-stream"], "mime_type"),
            ]
            for (change, param) in cases {
                var body = valid
                for (key, value) in change { body[key] = value }
                let (status, answer) = try await client.postJSON("/v1/uploads", body)
                #expect(status == .badRequest, "\(change)")
                #expect((answer["error"] as? [String: Any])?["param"] as? String == param, "\(answer)")
            }
            // Parameters and case do not matter; other purposes take any type.
            for (purpose, filename, mimeType) in [
                ("vision", "a.png", "IMAGE/PNG"), ("assistants", "a.md", "text/markdown; charset=utf-8"), ("user_data", "a", "x/y"),
            ] {
                var body = valid
                body["purpose"] = purpose
                body["filename"] = filename
                body["mime_type"] = mimeType
                #expect(try await client.postJSON("/v1/uploads", body).0 == .ok, "\(body)")
            }
            try await client.execute(
                uri: "/v1/uploads",
                method: .post,
                headers: headers([.contentType: "application/json"]),
                body: ByteBuffer(string: "{oops")
            ) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func completeRefusesBadPartLists() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 20)
            let other = try await client.createUpload(bytes: 10)
            let first = try #require(try await client.addPart(uploadID, Array(repeating: 1, count: 10)).1["id"] as? String)
            let second = try #require(try await client.addPart(uploadID, Array(repeating: 2, count: 10)).1["id"] as? String)
            let foreign = try #require(try await client.addPart(other, Array(repeating: 3, count: 10)).1["id"] as? String)
            let cases: [([String: Any], String)] = [
                (["part_ids": [first]], "part_ids"),  // 10 of 20 bytes
                (["part_ids": [first, first]], "part_ids"),
                (["part_ids": [first, "part_unknown"]], "part_ids"),
                (["part_ids": [first, foreign]], "part_ids"),
                (["part_ids": [first, second], "md5": String(repeating: "0", count: 32)], "md5"),
                (["part_ids": "nope"], "part_ids"),
            ]
            for (body, param) in cases {
                let (status, answer) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", body)
                #expect(status == .badRequest, "\(body)")
                #expect((answer["error"] as? [String: Any])?["param"] as? String == param, "\(answer)")
            }
            // Still completable after the refusals.
            let (status, _) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [second, first]])
            #expect(status == .ok)
        }
    }

    @Test func finishedUploadsRefuseFurtherWork() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let completed = try await client.createUpload(bytes: 0)
            #expect(try await client.postJSON("/v1/uploads/\(completed)/complete", ["part_ids": []]).0 == .ok)
            let cancelled = try await client.createUpload(bytes: 5)
            _ = try await client.addPart(cancelled, [1, 2, 3, 4, 5])
            let (status, upload) = try await client.postJSON("/v1/uploads/\(cancelled)/cancel", [:])
            #expect(status == .ok && upload["status"] as? String == "cancelled")
            let expired = try await client.createUpload(bytes: 5)
            server.clock.advance(by: 3600)
            for id in [completed, cancelled, expired] {
                #expect(try await client.addPart(id, [1]).0 == .badRequest)
                #expect(try await client.postJSON("/v1/uploads/\(id)/complete", ["part_ids": []]).0 == .badRequest)
                let (status, answer) = try await client.postJSON("/v1/uploads/\(id)/cancel", [:])
                #expect(status == .badRequest)
                #expect(((answer["error"] as? [String: Any])?["message"] as? String)?.contains(id) == true)
            }
            let (status404, missing) = try await client.postJSON("/v1/uploads/upload_nope/cancel", [:])
            #expect(status404 == .notFound)
            #expect((missing["error"] as? [String: Any])?["message"] as? String == "No such Upload object: upload_nope")
        }
        // The cancelled upload's part is gone at once.
        #expect(server.blobPaths().count == 1)
    }

    @Test func partsOverTheLimitGet400AndLeaveNothing() async throws {
        let server = try TestServer { $0.uploads.maxPartBytes = 100 }
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 101)
            #expect(try await client.addPart(uploadID, Array(repeating: 0, count: 101)).0 == .badRequest)
            #expect(try await client.addPart(uploadID, Array(repeating: 0, count: 100)).0 == .ok)
        }
        #expect(server.blobPaths().count == 1 && server.temporaryFiles().isEmpty)
    }

    /// No Upload holds more than its `bytes`: the part that would pass them is a 400 naming
    /// `data`, and its bytes are gone at once (not kept until the Upload expires).
    @Test func aPartPastTheUploadsBytesGets400AndLeavesNothing() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 1)
            let (status, answer) = try await client.addPart(uploadID, Array(repeating: 7, count: 64 * 1024))
            #expect(status == .badRequest)
            let error = try #require(answer["error"] as? [String: Any])
            #expect(
                error["message"] as? String
                    == "Cannot add a Part of 65536 bytes to Upload \(uploadID): its Parts already hold 0 of the 1 bytes it was created with."
            )
            #expect(error["param"] as? String == "data" && error["code"] is NSNull && error["type"] as? String == "invalid_request_error")
            let one = try #require(try await client.addPart(uploadID, [1]).1["id"] as? String)
            #expect(try await client.addPart(uploadID, [2]).0 == .badRequest, "1 of 1 bytes held: nothing more fits")
            let (completed, _) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [one]])
            #expect(completed == .ok)
        }
        #expect(server.blobPaths().count == 1 && server.temporaryFiles().isEmpty, "only the completed file's bytes")
    }

    @Test func otherTenantsCannotTouchAnUpload() async throws {
        let server = try TestServer { $0.tenancy = .perKey }
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 3, key: "sk-a")
            let partID = try #require(try await client.addPart(uploadID, [1, 2, 3], key: "sk-a").1["id"] as? String)
            #expect(try await client.addPart(uploadID, [1], key: "sk-b").0 == .notFound)
            #expect(try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [partID]], key: "sk-b").0 == .notFound)
            #expect(try await client.postJSON("/v1/uploads/\(uploadID)/cancel", [:], key: "sk-b").0 == .notFound)
            #expect(try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [partID]], key: "sk-a").0 == .ok)
        }
    }

    @Test func theSweeperRemovesPartsOfExpiredUploads() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 6)
            _ = try await client.addPart(uploadID, [1, 2, 3])
            _ = try await client.addPart(uploadID, [4, 5, 6])
        }
        #expect(server.blobPaths().count == 2)
        server.clock.advance(by: 3600)
        _ = try await server.server.sweeper.sweepOnce()
        #expect(server.blobPaths().isEmpty)
    }
}

/// A crash between complete's steps: no half File, no lost File, no orphan part
/// (docs/design.md, "Crash points of completing an Upload").
@Suite struct UploadCrashTests {
    let tenant = Tenant(key: "shared", organization: "org")

    @Test func aCrashAfterAssemblyButBeforeTheCommitLeavesTheUploadCompletable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-upcrash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TestServer(directory: directory)
        let upload = try await first.uploads.create(.init(filename: "x.bin", purpose: .userData, bytes: 6, mimeType: "a/b"), tenant: tenant)
        var partIDs: [String] = []
        for bytes in [[1, 2, 3], [4, 5, 6]] as [[UInt8]] {
            let blob = try await first.blobs.makeWriter()
            try await blob.write(ByteBuffer(bytes: bytes))
            partIDs.append(try await first.uploads.addPart(uploadID: upload.id, blob: blob, tenant: tenant).id)
        }
        // Simulate the crash: the joined blob was renamed into place, the transaction never ran.
        let (joined, _) = try await first.blobs.makeWriter(concatenating: partIDs, computingMD5: false)
        try await joined.commit(as: "file-crashedcomplete0000000")
        try await Task.sleep(for: .milliseconds(20))

        let second = try TestServer(directory: directory)
        let report = try await StartupRecovery(
            store: second.service.store,
            startedAt: Date().timeIntervalSince1970,
            logger: second.server.logger
        )
        .recover()
        #expect(report.orphanBlobs == 1, "the half-finished File's blob goes; the parts stay")
        #expect(second.blobPaths().count == 2)
        let (completed, file) = try await second.uploads.complete(uploadID: upload.id, partIDs: partIDs, md5: nil, tenant: tenant)
        #expect(completed.status == .completed && file.bytes == 6)
        #expect(second.blobPaths().count == 1)
        // And once completed, a restart keeps the File and finds nothing to remove.
        let third = try TestServer(directory: directory)
        let later = try await StartupRecovery(
            store: third.service.store,
            startedAt: Date().timeIntervalSince1970 + 1,
            logger: third.server.logger
        )
        .recover()
        #expect(later == .init(temporaryFiles: 0, orphanBlobs: 0))
        _ = try await third.service.retrieve(id: file.id, tenant: tenant)
    }

    @Test func concurrentCompletesMakeExactlyOneFile() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let upload = try await server.uploads.create(.init(filename: "x.bin", purpose: .userData, bytes: 3, mimeType: "a/b"), tenant: tenant)
        let blob = try await server.blobs.makeWriter()
        try await blob.write(ByteBuffer(bytes: [7, 8, 9]))
        let part = try await server.uploads.addPart(uploadID: upload.id, blob: blob, tenant: tenant)
        let uploads = server.uploads
        let tenant = self.tenant
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { (try? await uploads.complete(uploadID: upload.id, partIDs: [part.id], md5: nil, tenant: tenant)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try await server.service.list(.init(), tenant: tenant).files.count == 1)
        #expect(server.blobPaths().count == 1 && server.temporaryFiles().isEmpty)
    }
}
