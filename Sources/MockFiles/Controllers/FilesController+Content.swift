import HTTPTypes
import Hummingbird
import NIOCore

extension FilesController {
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
        return Response(status: status, headers: headers, body: .blob(file.id, from: service.store, range: range))
    }
}
