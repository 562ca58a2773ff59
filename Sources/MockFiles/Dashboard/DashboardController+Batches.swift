import Foundation
import Hummingbird

/// The Batches and Batch pages: a tenant's batches newest first and one batch with every field
/// of its object, read through `BatchService` as `/v1/batches` reads them (so a due batch's
/// result files are made first), and its cancel, which goes through the service's own rules.
extension DashboardController {
    func batchesPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let (tenant, tenants) = try await tenantChoice(request)
        let tenantQuery = Self.percentEncoded(tenant)
        if let id = query["id"].map({ String($0).trimmingCharacters(in: .whitespaces) }), !id.isEmpty {
            return DashboardAccessMiddleware.redirect(to: "/ui/batches/\(Self.percentEncoded(id))?tenant=\(tenantQuery)")
        }
        var values: [String: Any] = ["tenant": tenant, "tenants": tenants, "tenantQuery": tenantQuery, "pageSize": Self.batchPageSize]
        if let notice = query["notice"] { values["notice"] = String(notice) }
        let after = query["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        do {
            let page = try await batches.list(
                after: after,
                limit: Self.batchPageSize,
                tenant: Tenant(key: tenant, organization: settings.organization)
            )
            values["batches"] = page.batches.map { Self.row(of: $0) }
            if page.hasMore, let last = page.batches.last {
                values["next"] = "/ui/batches?tenant=\(tenantQuery)&after=\(Self.percentEncoded(last.batch.id))"
            }
        } catch let error as APIError {
            values["error"] = error.message
        }
        return page("batches", values, for: request)
    }

    /// The API's largest page.
    static let batchPageSize = 100

    static func row(of object: BatchObject) -> [String: Any] {
        let state = object.state
        var row: [String: Any] = [
            "id": object.batch.id, "endpoint": object.batch.endpoint, "status": state.status.rawValue,
            "created": DashboardViews.time(object.batch.createdAt), "total": state.total, "completed": state.completed, "failed": state.failed,
            "inputFileID": object.batch.inputFileID,
        ]
        if state.status.hasResultFiles {
            if let id = object.batch.outputFileID { row["outputFileID"] = id }
            if let id = object.batch.errorFileID { row["errorFileID"] = id }
        }
        return row
    }

    func batchPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = Tenant(key: request.uri.queryParameters["tenant"].map(String.init) ?? "", organization: settings.organization)
        let object = try await batches.retrieve(id: try context.parameters.require("id"), tenant: tenant)
        let state = object.state
        var values = Self.row(of: object)
        values["tenant"] = tenant.key
        values["tenantQuery"] = Self.percentEncoded(tenant.key)
        values["json"] = String(buffer: object.jsonBody(layout: .indented))  // every field, as the API answers it
        values["model"] = state.model ?? "—"
        values["completionWindow"] = object.batch.completionWindow
        values["cancellable"] = state.status.isCancellable
        let moments: [(String, Int64?)] = [
            ("created_at", object.batch.createdAt), ("in_progress_at", state.inProgressAt), ("finalizing_at", state.finalizingAt),
            ("completed_at", state.completedAt), ("failed_at", state.failedAt), ("expired_at", state.expiredAt),
            ("cancelling_at", state.cancellingAt), ("cancelled_at", state.cancelledAt), ("expires_at", object.batch.expiresAt),
        ]
        values["schedule"] = moments.map { name, seconds -> [String: Any] in
            var moment: [String: Any] = ["name": name]
            if let seconds { moment["time"] = DashboardViews.time(seconds) }
            if let seconds { moment["seconds"] = seconds }
            return moment
        }
        values["errors"] = (state.errors ?? []).map { error -> [String: Any] in
            ["code": error.code, "message": error.message, "param": error.param ?? "—", "line": error.line.map(String.init) ?? "—"]
        }
        values["hasErrors"] = !(state.errors ?? []).isEmpty
        values["metadata"] = (object.batch.metadata ?? []).map { ["key": $0.key, "value": $0.value] }
        let usage = object.usage
        values["usage"] = [
            ("input_tokens", usage.inputTokens), ("cached_tokens", usage.cachedTokens), ("output_tokens", usage.outputTokens),
            ("reasoning_tokens", usage.reasoningTokens), ("total_tokens", usage.totalTokens),
        ].map { ["name": $0.0, "value": $0.1] }
        if let notice = request.uri.queryParameters["notice"] { values["notice"] = String(notice) }
        return page("batch", values, for: request)
    }

    /// A cancel the service refuses (409: the batch finished meanwhile) comes back to the page in
    /// the service's words, above the batch as it now is.
    func cancelBatch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let tenant = Tenant(key: context.form["tenant"] ?? "", organization: settings.organization)
        let batchPage = "/ui/batches/\(Self.percentEncoded(id))?tenant=\(Self.percentEncoded(tenant.key))"
        guard context.form["confirm"] == "yes" else { return Self.back(to: batchPage, notice: "Tick the box to cancel.") }
        do {
            let batch = try await batches.cancel(id: id, tenant: tenant)
            return Self.back(to: batchPage, notice: "Cancel asked for \(id): it is \(batch.state.status.rawValue).")
        } catch let error as APIError where error.status == .conflict {
            return Self.back(to: batchPage, notice: error.message)
        }
    }
}
