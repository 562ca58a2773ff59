import Hummingbird
import HummingbirdCore
import NIOCore

/// `/v1/files`: parses and validates HTTP, calls `FileService`, shapes the JSON.
struct FilesController {
    let service: FileService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("files", use: create)
        group.get("files", use: list)
        group.head("files", use: list)
        group.get("files/{id}", use: retrieve)
        group.head("files/{id}", use: retrieve)
        group.delete("files/{id}", use: delete)
        group.get("files/{id}/content", use: content)
        group.head("files/{id}/content", use: content)
    }

    func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try context.requireTenant
        let page = try await service.list(try Self.listParameters(request.uri), tenant: tenant)
        return JSONResponse.make(pageObject(page))
    }

    /// The list's query parameters, parsed.
    static func listParameters(_ uri: URI) throws(APIError) -> FileListParameters {
        var query: [String: String] = [:]
        for (name, value) in uri.queryParameters { query[String(name)] = String(value) }
        return try FileListParameters(query: query)
    }

    func retrieve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let file = try await service.retrieve(id: try fileID(context), tenant: try context.requireTenant)
        return JSONResponse.make(fileObject(file))
    }

    func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let file = try await service.delete(id: try fileID(context), tenant: try context.requireTenant)
        return JSONResponse.make(DeletedFileObject(id: file.id))
    }

    func pageObject(_ page: FilePage) -> FileListObject {
        FileListObject(data: page.files.map(fileObject), hasMore: page.hasMore)
    }

    func fileObject(_ file: StoredFile) -> FileObject {
        FileObject(file, status: service.status(of: file))
    }

    func fileID(_ context: AppRequestContext) throws -> String {
        try context.parameters.require("id")
    }
}
