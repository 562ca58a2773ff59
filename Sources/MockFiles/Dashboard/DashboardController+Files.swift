import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Files and File pages: a tenant's files newest first, paged by the API's own keyset cursor
/// (`FileService.list`), and one file with its object, bytes and a preview.
extension DashboardController {
    static let pageSize = 100

    func filesPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
        let (tenant, tenants) = try await tenantChoice(request)
        let tenantQuery = Self.percentEncoded(tenant)
        if let id = query["id"]?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
            return DashboardAccessMiddleware.redirect(to: "/ui/files/\(Self.percentEncoded(id))?tenant=\(tenantQuery)")
        }
        var values: [String: Any] = ["tenant": tenant, "tenants": tenants, "pageSize": Self.pageSize]
        if let notice = query["notice"] { values["notice"] = notice }
        let purpose = query["purpose"].flatMap { $0.isEmpty ? nil : $0 }
        let name = query["name"].flatMap { $0.isEmpty ? nil : $0 }
        values["purposes"] = Purpose.allCases.map { ["name": $0.rawValue, "selected": $0.rawValue == purpose] }
        if let name { values["name"] = name }
        let totals = try await files.store.reads.storedTotals(tenant: tenant)
        values["totals"] = totals.map { ["purpose": $0.purpose, "files": $0.files, "size": DashboardViews.size($0.bytes)] }
        values["allFiles"] = totals.reduce(0) { $0 + $1.files }
        values["allSize"] = DashboardViews.size(totals.reduce(0) { $0 + $1.bytes })
        do {
            var parameters = try FileListParameters(query: ["purpose": purpose ?? "", "limit": String(Self.pageSize)])
            parameters.after = query["after"].flatMap { $0.isEmpty ? nil : $0 }
            parameters.filenameContains = name
            let page = try await files.list(parameters, tenant: Tenant(key: tenant, organization: settings.organization))
            values["hasFiles"] = !page.files.isEmpty
            values["fileRows"] = fileRows(page.files, tenantQuery: tenantQuery)
            if page.hasMore, let last = page.files.last {
                values["next"] =
                    "/ui/files?tenant=\(tenantQuery)&purpose=\(Self.percentEncoded(purpose ?? ""))"
                    + "&name=\(Self.percentEncoded(name ?? ""))&after=\(Self.percentEncoded(last.id))"
            }
        } catch let error as APIError {
            values["error"] = error.message
        }
        return page("files", values, for: request)
    }

    /// The table's rows, written here rather than by the template: at 100 rows Mustache's dynamic
    /// values and per-character escaping cost several times the API's whole answer (bench row 3 ui;
    /// figures in bench/README.md, "Figures behind code comments").
    /// Every stored value goes through `HTMLText`, as the template would escape it.
    func fileRows(_ list: [StoredFile], tenantQuery: String) -> String {
        var html = ""
        html.reserveCapacity(list.count * 320)
        for file in list {
            let id = HTMLText.escaped(file.id)
            let created = DashboardViews.time(file.createdAt)
            html += "<tr><td><a href=\"/ui/files/\(id)?tenant=\(tenantQuery)\">\(id)</a></td><td>"
            HTMLText.append(file.filename, to: &html)
            html += "</td><td>"
            HTMLText.append(file.purpose, to: &html)
            html += "</td><td class=\"number\">\(DashboardViews.size(file.bytes))</td><td><time datetime=\"\(created)\">\(created)</time></td><td>"
            html += files.status(of: file)
            html += "</td></tr>\n"
        }
        return html
    }

    func filePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (file, tenant) = try await lookUp(request, context)
        var values: [String: Any] = [
            "id": file.id, "filename": file.filename, "tenant": tenant.key, "tenantQuery": Self.percentEncoded(tenant.key),
            "json": String(buffer: FileObject(file, status: files.status(of: file)).jsonBody()),  // as the API answers it
        ]
        if let notice = request.uri.queryParameters["notice"] { values["notice"] = String(notice) }
        let head = try await readHead(of: file)
        switch FilePreview.of(filename: file.filename, head: head) {
        case .image: values["image"] = true
        case .lines(let lines):
            values["hasLines"] = true
            // Every line names `invalid`, so a valid one never shows a neighbour's.
            values["lines"] = lines.map { line -> [String: Any] in ["text": line.text, "invalid": line.invalid ?? false] }
        case .hex(let dump): values["hex"] = dump
        }
        if file.bytes > FilePreview.textLimit {
            values["previewNote"] = "The first \(FilePreview.textLimit / 1024) KiB of \(DashboardViews.size(file.bytes))."
        }
        return page("file", values, for: request)
    }

    /// The bytes, whatever the purpose: the operator sees everything (the snapshot does too).
    func fileContent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (file, _) = try await lookUp(request, context)
        let inline = request.uri.queryParameters["inline"] == "1" && FilePreview.imageExtensions.contains(where: file.filename.lowercased().hasSuffix)
        var headers = DashboardViews.headers(contentType: "application/octet-stream")
        headers[.contentDisposition] = inline ? "inline" : ContentDisposition.attachment(filename: file.filename)
        headers[.contentLength] = String(file.bytes)
        return Response(status: .ok, headers: headers, body: .blob(file.id, from: files.store, range: 0..<file.bytes))
    }

    func deleteFile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let tenant = Tenant(key: context.form["tenant"] ?? "", organization: settings.organization)
        guard context.form["confirm"] == "yes" else {
            return Self.back(to: "/ui/files/\(Self.percentEncoded(id))?tenant=\(Self.percentEncoded(tenant.key))", notice: "Tick the box to delete.")
        }
        _ = try await files.delete(id: id, tenant: tenant)
        return Self.back(to: "/ui/files?tenant=\(Self.percentEncoded(tenant.key))", notice: "Deleted \(id).")
    }

    private func lookUp(_ request: Request, _ context: AppRequestContext) async throws -> (StoredFile, Tenant) {
        let tenant = Tenant(key: request.uri.queryParameters["tenant"].map(String.init) ?? "", organization: settings.organization)
        return (try await files.retrieve(id: try context.parameters.require("id"), tenant: tenant), tenant)
    }

    private func readHead(of file: StoredFile) async throws -> [UInt8] {
        let head = try await files.store.withBlobReader(id: file.id) { reader in
            var head: [UInt8] = []
            try await reader.read(range: 0..<min(reader.size, Int64(FilePreview.textLimit)), chunkSize: FilePreview.textLimit) {
                head += Array(buffer: $0)
            }
            return head
        }
        return head ?? []
    }

    static func prettyJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
