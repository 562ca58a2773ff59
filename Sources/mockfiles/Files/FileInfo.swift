import Foundation

/// One page of `GET /files`, or several joined by `--all`.
typealias FileList = ObjectList<FileInfo>

/// A File object as the API sent it: the fields the table shows, and the JSON itself for `--json`.
struct FileInfo: ListedObject {
    static let kind = "file"
    let object: [String: Any]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw FilesClientError.unexpectedAnswer("not a JSON object: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        self.init(object: object)
    }

    init(object: [String: Any]) {
        self.object = object
    }
}
