/// The File object exactly as the OpenAI API shows it; `expires_at` and `status_details`
/// are always present, `null` when unset, as SDK models expect.
public struct FileObject: APIObject, Equatable {
    public var id: String
    public var object = "file"
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var filename: String
    public var purpose: String
    public var status: String
    public var statusDetails: String?

    public init(_ file: StoredFile, status: String) {
        id = file.id
        bytes = file.bytes
        createdAt = file.createdAt
        expiresAt = file.expiresAt
        filename = file.filename
        purpose = file.purpose
        self.status = status
    }

    /// In the service's key order (`FilesTests`, 2025-09 to 2026-05). Written directly: a list
    /// page is up to 10 000 of them, and JSONEncoder's containers and key sorting were a large
    /// share of a list request's CPU (bench/README.md, "Figures behind code comments").
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("object", object)
        json.field("id", id)
        json.field("purpose", purpose)
        json.field("filename", filename)
        json.field("bytes", bytes)
        json.field("created_at", createdAt)
        json.field("expires_at", expiresAt)
        json.field("status", status)
        json.field("status_details", statusDetails)
        json.endObject()
    }
}

/// `GET /v1/files` answer. `first_id`/`last_id` are `null` on an empty page.
public struct FileListObject: APIObject {
    public var object = "list"
    public var data: [FileObject]
    public var hasMore: Bool

    var capacityHint: Int { 280 * (data.count + 1) }

    /// The service's order for the Files list: `has_more` before the ids (its Batches list differs).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("object", object)
        json.key("data")
        json.beginArray()
        for file in data { file.write(to: &json) }
        json.endArray()
        json.field("has_more", hasMore)
        json.field("first_id", data.first?.id)
        json.field("last_id", data.last?.id)
        json.endObject()
    }
}

/// `DELETE /v1/files/{id}` answer.
public struct DeletedFileObject: APIObject {
    public var id: String

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("object", "file")
        json.field("deleted", true)
        json.field("id", id)
        json.endObject()
    }
}
