import Foundation
import Hummingbird

/// `/v1/batches`: create, retrieve, list, cancel. Answers are indented without a final newline,
/// the cancel answer compact (docs/batches-evidence.md, section 2).
struct BatchesController {
    let service: BatchService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("batches", use: create)
        group.get("batches", use: list)
        group.get("batches/{id}", use: retrieve)
        group.post("batches/{id}/cancel", use: cancel)
    }

    func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let body = try await JSONBody.read(request)
        try body.requireOnly(["input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"])
        // Read in the order the fields' errors are answered.
        let inputFileID = try body.requiredString("input_file_id", missingCode: "missing_required_parameter")
        let endpoint = try body.requiredString("endpoint", missingCode: "missing_required_parameter")
        let completionWindow = try body.requiredString("completion_window", missingCode: "missing_required_parameter")
        let metadata = try Self.metadata(body)
        let expiry = try body.optionalObject("output_expires_after")
        try expiry?.requireOnly(["anchor", "seconds"])
        if let anchor = try expiry?.optionalString("anchor"), anchor != "created_at" {
            throw APIError.notOneOf(anchor, ["created_at"], param: "output_expires_after.anchor")
        }
        let creation = BatchService.CreateRequest(
            inputFileID: inputFileID,
            endpoint: endpoint,
            completionWindow: completionWindow,
            metadata: metadata,
            outputLifetimeSeconds: try expiry?.requiredInteger("seconds")
        )
        if !ServerID.isWellFormed(inputFileID) {
            // No file has such an id (PostgreSQL cannot even compare one with a NUL: it was a 500):
            // a missing file, answered after the values the service checks first.
            try BatchService.checkValues(of: creation)
            throw service.cannotFindInput(inputFileID, tenant: tenant)
        }
        let batch = try await service.create(creation, tenant: tenant)
        context.annotations.objectID = batch.batch.id
        return JSONResponse.make(body: batch.jsonBody(layout: .indentedWithoutNewline), status: .ok)
    }

    func retrieve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let batch = try await service.retrieve(id: try context.parameters.require("id"), tenant: try context.requireTenant)
        return JSONResponse.make(body: batch.jsonBody(layout: .indentedWithoutNewline), status: .ok)
    }

    func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let batch = try await service.cancel(id: try context.parameters.require("id"), tenant: try context.requireTenant)
        return JSONResponse.make(body: batch.jsonBody(layout: .compact), status: .ok)
    }

    func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let query = request.uri.queryParameters
        let limit = try query["limit"].map { try ListLimit.parse(String($0), maximum: 100) } ?? 20
        let after = query["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let page = try await service.list(after: after, limit: limit, tenant: tenant)
        return JSONResponse.make(body: BatchListObject(page).jsonBody(layout: .indentedWithoutNewline), status: .ok)
    }

    /// `metadata`: at most 16 string pairs, keys up to 64 characters, values up to 512 (the
    /// API reference's limits; the texts follow the service's validation wording), in the order sent.
    static func metadata(_ body: JSONBody) throws -> [MetadataPair]? {
        guard let object = try body.optionalObject("metadata") else { return nil }
        guard object.fields.count <= 16 else {
            throw APIError.invalid(
                "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with \(object.fields.count) properties instead.",
                param: "metadata",
                code: "object_above_max_properties"
            )
        }
        var keys = JSONDuplicateKeys.keys(ofObjectMember: "metadata", in: body.bytes)
        if Set(keys) != Set(object.fields.keys) { keys = object.fields.keys.sorted() }
        return try keys.map { key in
            let param = "metadata.\(key)"
            guard key.count <= 64 else {
                throw APIError.invalid(
                    "Invalid 'metadata': key '\(key.prefix(64))…' is too long. Keys must be at most 64 characters, but got \(key.count).",
                    param: "metadata",
                    code: "string_above_max_length"
                )
            }
            guard let value = object.fields[key] as? String else {
                throw APIError.invalid("Invalid type for '\(param)': expected a string.", param: param, code: "invalid_type")
            }
            guard value.count <= 512 else {
                throw APIError.invalid(
                    "Invalid '\(param)': string too long. Expected a string with maximum length 512, but got a string with length \(value.count) instead.",
                    param: param,
                    code: "string_above_max_length"
                )
            }
            return MetadataPair(key: key, value: value)
        }
    }
}
