import Foundation

/// An API object as the CLI holds it: the JSON as sent, and its id.
protocol ListedObject {
    /// What the object is called in messages (`file`, `batch`).
    static var kind: String { get }
    var object: [String: Any] { get }
    init(object: [String: Any])
}

extension ListedObject {
    var id: String { object["id"] as? String ?? "" }
    var json: Data { Output.encode(object) }
}

/// One page of a list endpoint (`GET /files`, `GET /batches`), or several joined by `--all`.
struct ObjectList<Item: ListedObject> {
    let object: [String: Any]
    let items: [Item]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any], let data = object["data"] as? [[String: Any]] else {
            throw FilesClientError.unexpectedAnswer("not a \(Item.kind) list: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        self.init(object: object, items: data.map(Item.init(object:)))
    }

    private init(object: [String: Any], items: [Item]) {
        self.object = object
        self.items = items
    }

    var hasMore: Bool { object["has_more"] as? Bool ?? false }
    /// The cursor for the next page: `last_id`, or the last item's id where a server omits it.
    var lastID: String? { object["last_id"] as? String ?? items.last?.id }
    var json: Data { Output.encode(object) }

    /// Every page's items as one list object, the shape a single page has.
    static func joined(_ items: [Item]) -> ObjectList {
        let object: [String: Any] = [
            "object": "list",
            "data": items.map(\.object),
            "first_id": items.first.map { $0.id as Any } ?? NSNull(),
            "last_id": items.last.map { $0.id as Any } ?? NSNull(),
            "has_more": false,
        ]
        return ObjectList(object: object, items: items)
    }
}
