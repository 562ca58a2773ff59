import HTTPTypes
import Hummingbird
import NIOCore

extension FilesController {
    /// Bytes per read from disk while streaming a download.
    static let downloadChunkBytes = 256 * 1024

    /// `GET|HEAD /v1/files/{id}/content`: raw bytes streamed from disk, with single-range support.
    func content(_ request: Request, context: AppRequestContext) async throws -> Response {
        let file = try await service.downloadableFile(id: try fileID(context), tenant: try context.requireTenant)
        let size = file.bytes
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: ContentDisposition.attachment(filename: file.filename),
            .acceptRanges: "bytes",
        ]
        var status = HTTPResponse.Status.ok
        var range = 0..<size
        if let rangeHeader = request.headers[.range] {
            switch ByteRange(header: rangeHeader, size: size) {
            case .satisfiable(let requested):
                status = .partialContent
                range = requested
                headers[.contentRange] = "bytes \(requested.lowerBound)-\(requested.upperBound - 1)/\(size)"
            case .unsatisfiable:
                throw APIError(
                    status: .rangeNotSatisfiable,
                    message: "Requested range not satisfiable: the file has \(size) bytes.",
                    param: "Range",
                    headers: [.contentRange: "bytes */\(size)"]
                )
            case .ignored:
                break
            }
        }
        let length = range.upperBound - range.lowerBound
        headers[.contentLength] = String(length)
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody())
        }
        return Response(status: status, headers: headers, body: Self.streaming(blob: file.id, from: service.store, range: range))
    }

    /// A body that streams `range` of a blob (the dashboard's download uses it too). The blob is
    /// opened when the body is written, scoped to it, so a client that leaves before then holds
    /// nothing open; one deleted in that instant ends the connection, as it would a cut download.
    static func streaming(blob id: String, from store: FileStore, range: Range<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound)) { writer in
            let streamed: Void? = try await store.withBlobReader(id: id) { reader in
                try await reader.read(range: range, chunkSize: downloadChunkBytes) { chunk in try await writer.write(chunk) }
            }
            guard streamed != nil else { throw BlobStoreError.missingBlob(id) }
            try await writer.finish(nil)
        }
    }
}
