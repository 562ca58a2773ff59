import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import MockFiles

/// A server on a fresh temporary data directory, with a frozen clock and seeded ids.
struct TestServer {
    let directory: String
    let server: MockFilesServer
    var clock: ServiceClock { server.clock }
    var service: FileService { server.fileService }
    var uploads: UploadService { server.uploadService }
    /// The stores themselves, below `FileStore`, for tests that stage what only a crash leaves.
    var blobs: any BlobStore { server.storage.blobs }
    var metadata: any MetadataStore & UploadStore & BatchStore { server.storage.metadata }

    init(directory: String? = nil, idSeed: UInt64 = 42, configure: (inout ServerSettings) -> Void = { _ in }) throws {
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-test-\(UUID().uuidString)").path
        self.directory = directory
        var settings = ServerSettings()
        settings.dataDirectory = directory
        settings.logLevel = .warning
        // Tests of other features download whatever they upload; the refusals have their own tests.
        settings.files.downloadablePurposes = Set(Purpose.allCases)
        configure(&settings)
        let clock = ServiceClock()
        clock.freeze()
        clock.set(to: 1_750_000_000)
        server = try MockFilesServer(
            settings: settings,
            storage: try .embedded(dataDirectory: directory),
            clock: clock,
            ids: IDGenerator(seed: idSeed)
        )
    }

    /// Runs `body` against the router in-process (no sockets).
    func test<Value: Sendable>(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: buildRouter(server), configuration: .init())
        return try await app.test(.router) { client in try await body(client) }
    }

    func blobPaths() -> [String] {
        let root = directory + "/blobs"
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return shards.flatMap { shard in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + shard)) ?? []).map { root + "/" + shard + "/" + $0 }
        }
    }

    func temporaryFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? []
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Builds `multipart/form-data` bodies the way the OpenAI SDK does.
struct MultipartBody {
    let boundary = "test-boundary-\(UInt32.random(in: 0...UInt32.max))"
    private(set) var bytes: [UInt8] = []

    mutating func field(_ name: String, _ value: String) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String = "file", filename: String, contents: [UInt8], contentType: String = "application/octet-stream") {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        bytes += contents
        append("\r\n")
    }

    func finished() -> [UInt8] {
        bytes + Array("--\(boundary)--\r\n".utf8)
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private mutating func append(_ text: String) {
        bytes += Array(text.utf8)
    }

    /// A whole create-file form.
    static func createFile(
        purpose: String? = "user_data",
        filename: String = "data.txt",
        contents: [UInt8] = Array("hello".utf8),
        extraFields: [(String, String)] = []
    ) -> MultipartBody {
        var body = MultipartBody()
        if let purpose { body.field("purpose", purpose) }
        for (name, value) in extraFields { body.field(name, value) }
        body.file(filename: filename, contents: contents)
        return body
    }
}

let testKeyHeaders: HTTPFields = [.authorization: "Bearer sk-test"]

func headers(key: String = "sk-test", _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields: HTTPFields = [.authorization: "Bearer \(key)"]
    fields.append(contentsOf: extra)
    return fields
}

extension TestClientProtocol {
    /// Uploads a file and returns the decoded answer; fails the test on a non-200.
    @discardableResult
    func createFile(_ form: MultipartBody, key: String = "sk-test") async throws -> [String: Any] {
        try await execute(
            uri: "/v1/files",
            method: .post,
            headers: headers(key: key, [.contentType: form.contentType]),
            body: ByteBuffer(bytes: form.finished())
        ) { response in
            #expect(response.status == .ok, "create failed: \(String(buffer: response.body))")
            return try jsonObject(response.body)
        }
    }

    func getJSON(_ uri: String, key: String = "sk-test") async throws -> (HTTPResponse.Status, [String: Any]) {
        try await execute(uri: uri, method: .get, headers: headers(key: key)) { response in
            (response.status, try jsonObject(response.body))
        }
    }
}

/// The body as a JSON object; empty when it is not one, so the assertions on it fail.
func jsonObject(_ buffer: ByteBuffer) -> [String: Any] {
    let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
    return object as? [String: Any] ?? [:]
}

/// The `error` object of an OpenAI envelope (empty when the body is not one).
func errorObject(_ buffer: ByteBuffer) -> [String: Any] {
    jsonObject(buffer)["error"] as? [String: Any] ?? [:]
}
