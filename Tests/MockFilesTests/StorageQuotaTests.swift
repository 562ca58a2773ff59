import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

extension TestClientProtocol {
    /// `POST /v1/files` with `bytes` bytes, whatever the answer.
    func postFile(bytes: Int, key: String = "sk-test", extraFields: [(String, String)] = []) async throws -> (HTTPResponse.Status, [String: Any]) {
        let form = MultipartBody.createFile(contents: Array(repeating: 7, count: bytes), extraFields: extraFields)
        return try await execute(
            uri: "/v1/files",
            method: .post,
            headers: headers(key: key, [.contentType: form.contentType]),
            body: ByteBuffer(bytes: form.finished())
        ) { ($0.status, jsonObject($0.body)) }
    }
}

/// `storageQuotaBytes`: the real service's quota answer, per tenant, for files and Uploads.
@Suite struct StorageQuotaTests {
    static let oneKB: Int64 = 1000

    static func quotaServer(tenancy: TenancyMode = .shared) throws -> TestServer {
        try TestServer { settings in
            settings.files.storageQuotaBytes = oneKB
            settings.tenancy = tenancy
        }
    }

    /// The 400 captured in 2024 (bespokelabsai/curator#189), naming a 1 KB limit.
    static func expectQuotaRefusal(_ answer: (HTTPResponse.Status, [String: Any]), sourceLocation: SourceLocation = #_sourceLocation) {
        let error = answer.1["error"] as? [String: Any] ?? [:]
        #expect(answer.0 == .badRequest, sourceLocation: sourceLocation)
        #expect(
            error["message"] as? String
                == "You have exceeded your file storage quota. Organizations are limited to 1 KB of files. "
                + "Please delete old files or attempt with a smaller file size.",
            sourceLocation: sourceLocation
        )
        #expect(error["type"] as? String == "invalid_request_error", sourceLocation: sourceLocation)
        #expect(error["param"] is NSNull && error["code"] is NSNull, "\(error)", sourceLocation: sourceLocation)
    }

    @Test(
        arguments: [
            (100_000_000_000, "100 GB"), (2_500_000_000_000, "2500 GB"), (1_500_000, "1.5 MB"), (1_234_567, "1.23 MB"), (1_005_000, "1.01 MB"),
            (999_999, "1 MB"), (994_999, "995 KB"), (1_000, "1 KB"), (999, "999 bytes"), (1, "1 byte"), (999_999_999_999, "1000 GB"),
            (Int64.max, "9223372036.85 GB"),
        ] as [(Int64, String)]
    )
    func theQuotaLimitIsWrittenAsTheCaptureWritesIt(bytes: Int64, text: String) {
        #expect(FileService.quotaText(bytes) == text)
    }

    @Test func aFileCrossingTheQuotaIsRefusedAndLeavesNothing() async throws {
        let server = try Self.quotaServer()
        defer { server.remove() }
        try await server.test { client in
            #expect(try await client.postFile(bytes: 600).0 == .ok)
            Self.expectQuotaRefusal(try await client.postFile(bytes: 401))
            #expect(server.blobPaths().count == 1, "the refused file's bytes are gone")
            #expect(try await client.postFile(bytes: 400).0 == .ok, "a file that fills the quota exactly fits")
            Self.expectQuotaRefusal(try await client.postFile(bytes: 1))
            #expect(try await client.postFile(bytes: 0).0 == .ok, "an empty file passes nothing")
        }
    }

    @Test func deletingOrExpiringFilesFreesRoom() async throws {
        let server = try Self.quotaServer()
        defer { server.remove() }
        try await server.test { client in
            let hour = [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600")]
            #expect(try await client.postFile(bytes: 1000, extraFields: hour).0 == .ok)
            Self.expectQuotaRefusal(try await client.postFile(bytes: 1000))
            server.clock.advance(by: 3600)
            let (status, kept) = try await client.postFile(bytes: 1000)
            #expect(status == .ok, "an expired file holds no room, swept or not")
            Self.expectQuotaRefusal(try await client.postFile(bytes: 1))
            let id = try #require(kept["id"] as? String)
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: testKeyHeaders) { #expect($0.status == .ok) }
            #expect(try await client.postFile(bytes: 1000).0 == .ok)
        }
    }

    @Test func eachTenantHasAQuotaOfItsOwn() async throws {
        let server = try Self.quotaServer(tenancy: .perKey)
        defer { server.remove() }
        try await server.test { client in
            #expect(try await client.postFile(bytes: 1000, key: "sk-a").0 == .ok)
            Self.expectQuotaRefusal(try await client.postFile(bytes: 1, key: "sk-a"))
            #expect(try await client.postFile(bytes: 1000, key: "sk-b").0 == .ok)
        }
    }

    @Test func anUploadIsRefusedAtCreateWhenItsBytesCannotFit() async throws {
        let server = try Self.quotaServer()
        defer { server.remove() }
        try await server.test { client in
            #expect(try await client.postFile(bytes: 600).0 == .ok)
            let body: [String: Any] = ["filename": "big.bin", "purpose": "user_data", "bytes": 401, "mime_type": "application/octet-stream"]
            Self.expectQuotaRefusal(try await client.postJSON("/v1/uploads", body))
            _ = try await client.createUpload(bytes: 400)
        }
    }

    @Test func completingAnUploadChecksTheQuotaAgain() async throws {
        let server = try Self.quotaServer()
        defer { server.remove() }
        try await server.test { client in
            let uploadID = try await client.createUpload(bytes: 600)
            let part = try #require(try await client.addPart(uploadID, Array(repeating: 1, count: 600)).1["id"] as? String)
            // A pending Upload holds no room, so a file can take it meanwhile.
            let (status, file) = try await client.postFile(bytes: 500)
            #expect(status == .ok)
            Self.expectQuotaRefusal(try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [part]]))
            let id = try #require(file["id"] as? String)
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: testKeyHeaders) { #expect($0.status == .ok) }
            let (completed, upload) = try await client.postJSON("/v1/uploads/\(uploadID)/complete", ["part_ids": [part]])
            #expect(completed == .ok && upload["status"] as? String == "completed", "the refused Upload stayed pending: \(upload)")
        }
    }
}

/// The setting: off unless set, and refused at start unless a positive whole number.
@Suite struct StorageQuotaSettingTests {
    func settings(_ values: [String: String]) async throws -> ServerSettings {
        try ServerSettings(config: try await ServerSettings.configReader(flags: [:], configFile: nil, environment: values))
    }

    @Test func theQuotaIsOffByDefaultAndSetInBytes() async throws {
        #expect(try await settings([:]).files.storageQuotaBytes == nil)
        #expect(try await settings(["MOCKFILES_STORAGE_QUOTA_BYTES": "100000000000"]).files.storageQuotaBytes == 100_000_000_000)
    }

    @Test(arguments: ["0", "-1", "100GB", "1.5"])
    func aQuotaThatIsNotAPositiveNumberStopsTheStart(value: String) async throws {
        let error = await #expect(throws: SettingsError.self) { try await settings(["MOCKFILES_STORAGE_QUOTA_BYTES": value]) }
        #expect(error?.description.hasPrefix("storageQuotaBytes must be") == true, "\(String(describing: error))")
    }
}
