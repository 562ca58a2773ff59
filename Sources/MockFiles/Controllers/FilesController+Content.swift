import HTTPTypes
import Hummingbird
import NIOCore

extension FilesController {
    /// Bytes per read from disk while streaming a download.
    static let downloadChunkBytes = 256 * 1024

    /// `GET|HEAD /v1/files/{id}/content`: raw bytes streamed from disk, with single-range support.
    func content(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (file, reader) = try await service.openContent(id: try fileID(context), tenant: try context.requireTenant)
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: ContentDisposition.attachment(filename: file.filename),
            .acceptRanges: "bytes",
        ]
        var status = HTTPResponse.Status.ok
        var range = 0..<reader.size
        if let rangeHeader = request.headers[.range] {
            switch ByteRange(header: rangeHeader, size: reader.size) {
            case .satisfiable(let requested):
                status = .partialContent
                range = requested
                headers[.contentRange] = "bytes \(requested.lowerBound)-\(requested.upperBound - 1)/\(reader.size)"
            case .unsatisfiable:
                await reader.close()
                throw APIError(
                    status: .rangeNotSatisfiable,
                    message: "Requested range not satisfiable: the file has \(reader.size) bytes.",
                    param: "Range",
                    headers: [.contentRange: "bytes */\(reader.size)"]
                )
            case .ignored:
                break
            }
        }
        let length = range.upperBound - range.lowerBound
        headers[.contentLength] = String(length)
        if request.method == .head {
            await reader.close()
            return Response(status: status, headers: headers, body: ResponseBody())
        }
        return Response(status: status, headers: headers, body: Self.streaming(reader, range: range))
    }

    /// A body that streams `range` of a blob from storage, closing the reader however it ends
    /// (the dashboard's download uses it too).
    static func streaming(_ reader: any BlobReader, range: Range<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound)) { writer in
            do {
                try await reader.read(range: range, chunkSize: downloadChunkBytes) { chunk in try await writer.write(chunk) }
                await reader.close()
            } catch {
                await reader.close()
                throw error
            }
            try await writer.finish(nil)
        }
    }
}
