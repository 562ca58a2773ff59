import Foundation

/// A Batch object as the API sent it: the fields the table and the progress line show, and the
/// JSON itself for `--json`.
struct BatchInfo {
    let object: [String: Any]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any], object["id"] is String else {
            throw FilesClientError.unexpectedAnswer("not a batch: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        self.init(object: object)
    }

    init(object: [String: Any]) {
        self.object = object
    }

    /// The statuses a batch never leaves.
    static let finalStatuses: Set<String> = ["completed", "failed", "expired", "cancelled"]

    var id: String { object["id"] as? String ?? "" }
    var status: String { object["status"] as? String ?? "" }
    var isFinal: Bool { Self.finalStatuses.contains(status) }
    var outputFileID: String? { object["output_file_id"] as? String }
    var errorFileID: String? { object["error_file_id"] as? String }
    var json: Data { Output.encode(object) }

    /// `completed/failed/total` of `request_counts`, e.g. `12/1/40`.
    var counts: String {
        let counts = object["request_counts"] as? [String: Any] ?? [:]
        return ["completed", "failed", "total"].map { (counts[$0] as? Int).map(String.init) ?? "-" }.joined(separator: "/")
    }

    /// `errors.data` as `line 3: duplicate_custom_id: The custom_id …` lines.
    var errorLines: [String] {
        let items = (object["errors"] as? [String: Any])?["data"] as? [[String: Any]] ?? []
        return items.map { item in
            let line = (item["line"] as? Int).map { "line \($0): " } ?? ""
            return line + "\(item["code"] as? String ?? "error"): \(item["message"] as? String ?? "")"
        }
    }

    static let columns = ["ID", "STATUS", "ENDPOINT", "DONE/FAILED/TOTAL", "CREATED", "INPUT", "OUTPUT", "ERRORS"]

    var row: [String] {
        [
            id, status, object["endpoint"] as? String ?? "", counts, Output.timestamp(object["created_at"]),
            object["input_file_id"] as? String ?? "-", outputFileID ?? "-", errorFileID ?? "-",
        ]
    }

    static func printTable(_ batches: [BatchInfo]) {
        Output.printRows(columns, batches.map(\.row))
    }
}

/// One page of `GET /batches` (or several joined by `--all`).
struct BatchList {
    let object: [String: Any]
    let batches: [BatchInfo]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any], let data = object["data"] as? [[String: Any]] else {
            throw FilesClientError.unexpectedAnswer("not a batch list: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        self.init(object: object, batches: data.map(BatchInfo.init(object:)))
    }

    private init(object: [String: Any], batches: [BatchInfo]) {
        self.object = object
        self.batches = batches
    }

    var hasMore: Bool { object["has_more"] as? Bool ?? false }
    var lastID: String? { object["last_id"] as? String ?? batches.last?.id }
    var json: Data { Output.encode(object) }

    /// Every page's batches as one list object, the shape a single page has.
    static func joined(_ batches: [BatchInfo]) -> BatchList {
        let object: [String: Any] = [
            "object": "list",
            "data": batches.map(\.object),
            "first_id": batches.first.map { $0.id as Any } ?? NSNull(),
            "last_id": batches.last.map { $0.id as Any } ?? NSNull(),
            "has_more": false,
        ]
        return BatchList(object: object, batches: batches)
    }
}
