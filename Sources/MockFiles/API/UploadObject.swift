/// The Upload object. `file` is there only once the Upload is completed: a pending, cancelled
/// or expired Upload has no `file` key at all (`UploadsTests`, 2025-09).
public struct UploadObject: APIObject {
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

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("object", object)
        json.field("bytes", bytes)
        json.field("created_at", createdAt)
        json.field("filename", filename)
        json.field("purpose", purpose)
        json.field("status", status)
        json.field("expires_at", expiresAt)
        if let file {
            json.key("file")
            file.write(to: &json)
        }
        json.endObject()
    }
}

/// The Part object.
public struct UploadPartObject: APIObject {
    public var id: String
    public var object = "upload.part"
    public var createdAt: Int64
    public var uploadID: String

    init(_ part: StoredPart) {
        id = part.id
        createdAt = part.createdAt
        uploadID = part.uploadID
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("object", object)
        json.field("created_at", createdAt)
        json.field("upload_id", uploadID)
        json.endObject()
    }
}
