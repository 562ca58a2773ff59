import Foundation
import Hummingbird

/// The Requests page: the request log, newest first, filtered as `GET /admin/requests` filters
/// (the same `RequestFilter`), each entry opening to all it recorded. `dashboard.js` asks the feed
/// for entries after the newest shown, once a second, so new requests appear without a reload.
extension DashboardController {
    static let requestFilterNames = ["method", "path", "status", "tenant", "object_id"]
    static let requestsShown = 100

    func requestsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        var values: [String: Any] = [:]
        let parameters = Self.filterParameters(request)
        for name in Self.requestFilterNames { values[name] = parameters[name] ?? "" }
        do {
            let filter = try RequestFilter(parameters: parameters)
            let page = try await controls.requestJournal().page(filter, limit: Self.requestsShown, after: nil, ascending: false)
            values["entries"] = try page.entries.map(Self.entryValues)
            values["newest"] = page.entries.first?.sequence ?? 0
            let query = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.percentEncoded($0.value))" }.joined(separator: "&")
            values["feed"] = "/ui/requests/feed" + (query.isEmpty ? "" : "?" + query)
        } catch let error as APIError {
            values["error"] = error.message
        }
        return page("requests", values, for: request)
    }

    /// Entries newer than `after`, oldest first, as `{seq, summary, detail, failed}` for the script.
    func requestsFeed(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parameters = Self.filterParameters(request)
        let filter = try RequestFilter(parameters: parameters)
        let after = request.uri.queryParameters["after"].flatMap { Int64(String($0)) } ?? 0
        let page = try await controls.requestJournal().page(filter, limit: Self.requestsShown, after: after, ascending: true)
        let entries = try page.entries.map(Self.entryValues)
        let data = try JSONSerialization.data(withJSONObject: ["data": entries], options: [.sortedKeys])
        var headers = DashboardViews.headers(contentType: "application/json")
        headers[.contentLength] = String(data.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: data)))
    }

    static func filterParameters(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for name in requestFilterNames {
            if let value = request.uri.queryParameters[Substring(name)], !value.isEmpty { parameters[name] = String(value) }
        }
        return parameters
    }

    static func entryValues(_ entry: RequestLogEntry) throws -> [String: Any] {
        let time = Date(timeIntervalSince1970: entry.timestamp).formatted(.iso8601)
        return [
            "seq": entry.sequence,
            "summary": "\(time)  \(entry.method) \(entry.path) → \(entry.status)  \(String(format: "%.1f", entry.durationMilliseconds)) ms",
            "failed": entry.status >= 400,
            "detail": try prettyJSON(entry),
        ]
    }
}
