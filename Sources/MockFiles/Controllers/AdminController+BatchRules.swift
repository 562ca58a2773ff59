import Hummingbird

/// `/admin/batch-rules`: list, add, remove one or all (docs/admin-api.md, "Batch rules").
extension AdminController {
    func listBatchRules(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Self.list(try await controls.listBatchRules().map { $0.json.mapValues(Optional.some) })
    }

    func addBatchRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: BatchRule.maxJSONBytes)
        let rule = try await controls.addBatchRule { id in try BatchRule(json: body, id: id) }
        return try Self.json(rule.json)
    }

    func removeAllBatchRules(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Self.json(["removed": try await controls.removeAllBatchRules()])
    }

    func removeBatchRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await controls.removeBatchRule(id: id) else {
            throw APIError(status: .notFound, message: "No such batch rule: \(id)", param: "id")
        }
        return try Self.json(["id": id, "deleted": true])
    }
}
