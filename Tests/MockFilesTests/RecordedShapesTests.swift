import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// Ids and file-format rules as the .NET SDK's recordings of the real service show them.
@Suite struct RecordedShapesTests {
    /// `upload_68cb2ab4…` was created at 1758145204 (UploadsTests, 2025-09).
    @Test func uploadAndPartIdsBeginWithTheirCreationTime() throws {
        let ids = IDGenerator()
        for (id, prefix) in [(ids.uploadID(createdAt: 1_758_145_204), "upload_"), (ids.partID(createdAt: 1_758_145_205), "part_")] {
            #expect(id.hasPrefix(prefix))
            let hex = id.dropFirst(prefix.count)
            #expect(hex.count == 32 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
            #expect(hex.dropFirst(12).prefix(4) == "8191")
        }
        #expect(ids.uploadID(createdAt: 1_758_145_204).hasPrefix("upload_68cb2ab4"))
        #expect(ids.partID(createdAt: 1_758_145_205).hasPrefix("part_68cb2ab5"))
        #expect(ids.uploadID(createdAt: 1_758_145_204) != ids.uploadID(createdAt: 1_758_145_204))
    }

    /// With a seed the whole id repeats, whatever the clock said.
    @Test func seededUploadIdsRepeatAtAnyTime() {
        let first = IDGenerator(seed: 7)
        let second = IDGenerator(seed: 7)
        #expect(first.uploadID(createdAt: 1) == second.uploadID(createdAt: 2_000_000_000))
        #expect(first.partID(createdAt: 1) == second.partID(createdAt: 5))
        #expect(IDGenerator(seed: 8).uploadID(createdAt: 1) != IDGenerator(seed: 7).uploadID(createdAt: 1))
    }

    /// Every id the server makes passes the one id rule; nothing that could name a path does.
    @Test func madeIdsAreWellFormedAndPathsAreNot() {
        let ids = IDGenerator()
        for id in [ids.fileID(), ids.uploadID(createdAt: 1), ids.partID(createdAt: 1), "snapab12_file-x"] {
            #expect(ServerID.isWellFormed(id), "\(id)")
        }
        for id in ["", "../x", "a/b", "a.b", "file-é", String(repeating: "a", count: 129), "a b", "a\u{0}"] {
            #expect(!ServerID.isWellFormed(id), "\(id)")
        }
        #expect(ServerID.isWellFormed(String(repeating: "a", count: 128)))
    }

    @Test func fileIdsAreBase58() {
        let ids = IDGenerator(seed: 1)
        let alphabet = Set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        for _ in 0..<200 {
            let id = ids.fileID()
            #expect(id.hasPrefix("file-") && id.count == 27 && id.dropFirst(5).allSatisfy(alphabet.contains), "\(id)")
        }
    }

    @Test(arguments: [
        ("test-batch-file", true), ("data.jsonl", true), ("DATA.JSONL", true), ("a.tar.jsonl", true), (".jsonl", true),
        ("dir.v2/file", true), ("notes.txt", false), ("a.jsonl.txt", false), ("data.json", false), ("dir/a.csv", false),
    ])
    func batchNamesAreRefusedOnlyForAnotherExtension(filename: String, accepted: Bool) {
        #expect(((try? Purpose.batch.checkFilename(filename)) != nil) == accepted, "\(filename)")
        #expect(((try? Purpose.fineTune.checkFilename(filename)) != nil) == accepted, "\(filename)")
        #expect((try? Purpose.userData.checkFilename(filename)) != nil)
    }

    @Test func theRefusalIsTheCapturedOne() {
        #expect(throws: APIError.invalid("Invalid file format for Batch API. Must be .jsonl", param: nil)) {
            try Purpose.batch.checkFilename("notes.txt")
        }
        #expect(throws: APIError.invalid("Invalid file format for Fine-Tuning API. Must be .jsonl", param: nil)) {
            try Purpose.fineTune.checkFilename("notes.txt")
        }
    }
}

/// A `batch` file's first line is read at upload; the rest is the batch's business.
@Suite struct BatchFileUploadTests {
    static let line = #"{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}}"#

    @Test func emptyOrBadFirstLinesAreRefusedAndLaterBadLinesPass() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let longFirstLine = #"{"custom_id": ""# + String(repeating: "x", count: 200_000) + #""}"#
        let cases: [(String, Bool)] = [
            ("", false), ("\n \r\n\t\n", false), ("not json\n\(Self.line)\n", false), ("[1, 2]\n", false),
            ("\u{FEFF}\(Self.line)\n", false), ("\n\n\(Self.line)", true), ("\(Self.line)\r\nnot json\n", true),
            ("\(Self.line)\nnot json", true), ("\(longFirstLine)\nnot json\n", true), ("\(longFirstLine)", true),
        ]
        try await server.test { client in
            for (contents, accepted) in cases {
                let form = MultipartBody.createFile(purpose: "batch", filename: "test-batch-file", contents: Array(contents.utf8))
                try await client.execute(
                    uri: "/v1/files",
                    method: .post,
                    headers: headers([.contentType: form.contentType]),
                    body: ByteBuffer(bytes: form.finished())
                ) { response in
                    #expect(response.status == (accepted ? .ok : .badRequest), "\(contents.prefix(40))")
                    if !accepted {
                        #expect(errorObject(response.body)["message"] as? String == "Invalid file format for Batch API. Must be .jsonl")
                    }
                }
            }
        }
    }
}
