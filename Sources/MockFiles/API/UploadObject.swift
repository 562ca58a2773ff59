/// The Upload object; `file` is `null` until the Upload is completed.
public struct UploadObject: Encodable, Sendable {
    public var id: String
    public var object = "upload"
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64
    public var filename: String
    public var purpose: String
    public var status: String
    public var file: FileObject?

    public init(_ upload: StoredUpload, status: String, file: FileObject? = nil) {
        id = upload.id
        bytes = upload.bytes
        createdAt = upload.createdAt
        expiresAt = upload.expiresAt
        filename = upload.filename
        purpose = upload.purpose
        self.status = status
        self.file = file
    }

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status, file
        case createdAt = "created_at"
        case expiresAt = "expires_at"
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
        try container.encode(file, forKey: .file)
    }
}

/// The Part object.
public struct UploadPartObject: Encodable, Sendable {
    public var id: String
    public var object = "upload.part"
    public var createdAt: Int64
    public var uploadID: String

    init(_ part: StoredPart) {
        id = part.id
        createdAt = part.createdAt
        uploadID = part.uploadID
    }

    enum CodingKeys: String, CodingKey {
        case id, object
        case createdAt = "created_at"
        case uploadID = "upload_id"
    }
}
