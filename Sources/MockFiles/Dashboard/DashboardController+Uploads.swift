import Foundation
import Hummingbird

/// The Upload page (a form whose script sends the file to `/ui/api`, the API's own routes) and the
/// Uploads page: a tenant's Uploads of every status, newest first, with the parts an open one
/// has received and the File a completed one became.
extension DashboardController {
    func uploadPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (tenant, tenants) = try await tenantChoice(request)
        let partBytes = uploads.settings.maxPartBytes
        let values: [String: Any] = [
            "tenant": tenant, "tenants": tenants, "partBytes": partBytes, "partSize": DashboardViews.size(partBytes),
            // user_data first chosen: it takes any file.
            "purposes": Purpose.creatable.map { ["name": $0.rawValue, "selected": $0 == .userData] },
        ]
        return page("upload", values, for: request)
    }

    func uploadsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let (tenant, tenants) = try await tenantChoice(request)
        var before: (createdAt: Int64, id: String)?
        if let position = query["before"], let colon = position.firstIndex(of: ":"), let createdAt = Int64(position[..<colon]) {
            before = (createdAt, String(position[position.index(after: colon)...]))
        }
        let shown = try await uploads.store.reads.uploads(tenant: tenant, limit: Self.pageSize + 1, before: before)
        let now = files.clock.seconds
        var rows: [[String: Any]] = []
        for upload in shown.prefix(Self.pageSize) {
            let status = upload.visibleStatus(at: now)
            var row: [String: Any] = [
                "id": upload.id, "filename": upload.filename, "purpose": upload.purpose, "status": status,
                "size": DashboardViews.size(upload.bytes), "created": DashboardViews.time(upload.createdAt),
                "expires": DashboardViews.time(upload.expiresAt), "received": "—",
            ]
            if upload.status == .pending {
                let parts = try await uploads.store.reads.parts(ofUpload: upload.id)
                row["received"] = "\(parts.count) part\(parts.count == 1 ? "" : "s"), \(DashboardViews.size(parts.reduce(0) { $0 + $1.bytes }))"
            }
            if let fileID = upload.fileID { row["fileID"] = fileID }
            rows.append(row)
        }
        var values: [String: Any] = ["tenant": tenant, "tenants": tenants, "uploads": rows, "tenantQuery": Self.percentEncoded(tenant)]
        if shown.count > Self.pageSize, let last = shown.prefix(Self.pageSize).last {
            values["next"] = "/ui/uploads?tenant=\(Self.percentEncoded(tenant))&before=\(last.createdAt):\(Self.percentEncoded(last.id))"
        }
        return page("uploads", values, for: request)
    }
}
