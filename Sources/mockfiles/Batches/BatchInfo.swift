import Foundation

/// One page of `GET /batches`, or several joined by `--all`.
typealias BatchList = ObjectList<BatchInfo>

/// A Batch object as the API sent it: the fields the table and the progress line show, and the
/// JSON itself for `--json`.
struct BatchInfo: ListedObject {
    static let kind = "batch"
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

    var status: String { object["status"] as? String ?? "" }
    var isFinal: Bool { Self.finalStatuses.contains(status) }
    var outputFileID: String? { object["output_file_id"] as? String }
    var errorFileID: String? { object["error_file_id"] as? String }

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
