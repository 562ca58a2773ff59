import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The Batches API on the same client as the Files API: same base URL, key and headers.
extension FilesClient {
    func createBatch(inputFileID: String, endpoint: String, completionWindow: String, metadata: [String: String]) async throws -> BatchInfo {
        var body: [String: Any] = ["input_file_id": inputFileID, "endpoint": endpoint, "completion_window": completionWindow]
        if !metadata.isEmpty { body["metadata"] = metadata }
        var request = request(.POST, "/batches")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return try BatchInfo(json: try await send(request))
    }

    func listBatches(limit: Int?, after: String?) async throws -> BatchList {
        let query = Self.query([("limit", limit.map(String.init)), ("after", after)])
        return try BatchList(json: try await send(request(.GET, "/batches" + query)))
    }

    func retrieveBatch(id: String) async throws -> BatchInfo {
        try BatchInfo(json: try await send(request(.GET, "/batches/\(try pathComponent(id))")))
    }

    func cancelBatch(id: String) async throws -> BatchInfo {
        try BatchInfo(json: try await send(request(.POST, "/batches/\(try pathComponent(id))/cancel")))
    }
}
