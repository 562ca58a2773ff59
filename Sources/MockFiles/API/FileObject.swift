import NIOCore

/// The File object exactly as the OpenAI API shows it; `expires_at` and `status_details`
/// are always present, `null` when unset, as SDK models expect.
public struct FileObject: Encodable, Sendable, Equatable {
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

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case statusDetails = "status_details"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(filename, forKey: .filename)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(status, forKey: .status)
        try container.encode(statusDetails, forKey: .statusDetails)
    }
}

extension FileObject {
    /// The object as `JSONResponse.encoder` writes it (keys sorted), written directly: a list
    /// page is up to 10 000 of them, and JSONEncoder spent ~30 % of a list request's CPU on them.
    func writeJSON(to buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"bytes":"#)
        JSONText.writeNumber(bytes, to: &buffer)
        buffer.writeStaticString(#","created_at":"#)
        JSONText.writeNumber(createdAt, to: &buffer)
        buffer.writeStaticString(#","expires_at":"#)
        JSONText.writeNumber(expiresAt, to: &buffer)
        buffer.writeStaticString(#","filename":"#)
        JSONText.writeString(filename, to: &buffer)
        buffer.writeStaticString(#","id":"#)
        JSONText.writeString(id, to: &buffer)
        buffer.writeStaticString(#","object":"#)
        JSONText.writeString(object, to: &buffer)
        buffer.writeStaticString(#","purpose":"#)
        JSONText.writeString(purpose, to: &buffer)
        buffer.writeStaticString(#","status":"#)
        JSONText.writeString(status, to: &buffer)
        buffer.writeStaticString(#","status_details":"#)
        JSONText.writeString(statusDetails, to: &buffer)
        buffer.writeStaticString("}")
    }
}

/// `GET /v1/files` answer. `first_id`/`last_id` are `null` on an empty page.
public struct FileListObject: Encodable, Sendable {
    public var object = "list"
    public var data: [FileObject]
    public var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case object, data
        case firstID = "first_id"
        case lastID = "last_id"
        case hasMore = "has_more"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(object, forKey: .object)
        try container.encode(data, forKey: .data)
        try container.encode(data.first?.id, forKey: .firstID)
        try container.encode(data.last?.id, forKey: .lastID)
        try container.encode(hasMore, forKey: .hasMore)
    }
}

extension FileListObject {
    /// The page as `JSONResponse.encoder` writes it (keys sorted), written directly.
    func writeJSON(to buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"data":["#)
        for (index, file) in data.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            file.writeJSON(to: &buffer)
        }
        buffer.writeStaticString(#"],"first_id":"#)
        JSONText.writeString(data.first?.id, to: &buffer)
        buffer.writeStaticString(hasMore ? #","has_more":true,"last_id":"# : #","has_more":false,"last_id":"#)
        JSONText.writeString(data.last?.id, to: &buffer)
        buffer.writeStaticString(#","object":"#)
        JSONText.writeString(object, to: &buffer)
        buffer.writeStaticString("}")
    }
}

/// `DELETE /v1/files/{id}` answer.
public struct DeletedFileObject: Encodable, Sendable {
    public var id: String
    public var object = "file"
    public var deleted = true
}
