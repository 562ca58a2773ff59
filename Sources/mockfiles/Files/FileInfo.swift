import Foundation

/// A File object as the API sent it: the fields the table shows, and the JSON itself for `--json`.
struct FileInfo {
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

    var id: String { object["id"] as? String ?? "" }
    var json: Data { Output.encode(object) }
}

/// One page of `GET /files` (or several joined by `--all`).
struct FileList {
    let object: [String: Any]
    let files: [FileInfo]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any], let data = object["data"] as? [[String: Any]] else {
            throw FilesClientError.unexpectedAnswer("not a file list: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        self.init(object: object, files: data.map(FileInfo.init(object:)))
    }

    private init(object: [String: Any], files: [FileInfo]) {
        self.object = object
        self.files = files
    }

    var hasMore: Bool { object["has_more"] as? Bool ?? false }
    /// The cursor for the next page: `last_id`, or the last file's id where a server omits it.
    var lastID: String? { object["last_id"] as? String ?? files.last?.id }
    var json: Data { Output.encode(object) }

    /// Every page's files as one list object, the shape a single page has.
    static func joined(_ files: [FileInfo]) -> FileList {
        let object: [String: Any] = [
            "object": "list",
            "data": files.map(\.object),
            "first_id": files.first.map { $0.id as Any } ?? NSNull(),
            "last_id": files.last.map { $0.id as Any } ?? NSNull(),
            "has_more": false,
        ]
        return FileList(object: object, files: files)
    }
}
