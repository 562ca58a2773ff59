import Hummingbird

/// `GET /admin/snapshot`: the whole state as one tar stream; `POST /admin/snapshot`: the same
/// stream replaces the state, all or nothing (see `SnapshotRecords.swift`).
extension AdminController {
    func snapshot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let exporter = SnapshotExporter(files: files, controls: controls)
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

    func restoreSnapshot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let importer = SnapshotImporter(files: files, uploads: uploads, controls: controls)
        let counts: SnapshotTrailer
        do {
            counts = try await importer.importSnapshot(from: request.body)
        } catch let error as SnapshotImportError {
            switch error {
            case .interruptedByReset:
                throw APIError(status: .conflict, message: "The snapshot was not restored: \(error).", code: "snapshot_interrupted")
            default: throw APIError(status: .badRequest, message: "The snapshot was not restored: \(error).", code: "invalid_snapshot")
            }
        }
        return try Self.json([
            "files_restored": counts.files, "uploads_restored": counts.uploads, "parts_restored": counts.parts, "batches_restored": counts.batches,
        ])
    }
}
