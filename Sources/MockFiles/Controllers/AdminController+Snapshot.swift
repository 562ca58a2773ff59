import Hummingbird

/// `GET /admin/snapshot`: the whole state as one tar stream (see `SnapshotRecords.swift`).
extension AdminController {
    func snapshot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let exporter = SnapshotExporter(files: files, uploads: uploads.store, controls: controls)
        // Its length is known only at the end: the answer is chunked. A failure midway cuts the
        // stream, and the importer refuses an archive without its trailer.
        let body = ResponseBody { writer in
            try await exporter.export { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-tar", .contentDisposition: "attachment; filename=\"mockfiles-snapshot.tar\""],
            body: body
        )
    }
}
