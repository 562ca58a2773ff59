import Hummingbird

/// `GET /admin/files`: every tenant's files with what the File object leaves out (tenant,
/// SHA-256, the content type sent), filtered, paged by `seq`.
extension AdminController {
    static let fileQueryNames: Set<String> = ["tenant", "purpose", "filename", "sha256", "created_since", "limit", "after"]

    func adminFiles(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parameters = try Self.queryParameters(request, allowed: Self.fileQueryNames)
        var query = AdminFileQuery()
        query.tenant = parameters["tenant"]
        query.purpose = parameters["purpose"]
        query.filenamePattern = parameters["filename"]
        // The stores match it in SQL (SQLite refuses a GLOB past 50,000 bytes, with a 500 before this cap).
        if let pattern = query.filenamePattern, pattern.utf8.count > WildcardPattern.maxBytes {
            throw APIError.invalid("Invalid value for 'filename': a pattern of at most \(WildcardPattern.maxBytes) bytes.", param: "filename")
        }
        if let sha256 = parameters["sha256"] {
            guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw APIError.invalid("Invalid value for 'sha256': 64 lower-case hexadecimal digits.", param: "sha256")
            }
            query.sha256 = sha256
        }
        query.createdSince = try parameters["created_since"].map { try Self.integer($0, name: "created_since", in: 0...Int64.max) }
        query.afterSequence = try parameters["after"].map { try Self.integer($0, name: "after", in: 0...Int64.max) } ?? 0
        query.limit = try parameters["limit"].map { Int(try Self.integer($0, name: "limit", in: 1...1000)) } ?? 100
        // One more than asked tells whether another page follows.
        var wanted = query
        wanted.limit += 1
        let rows = try await files.store.reads.adminFiles(wanted)
        let page = rows.prefix(query.limit).map { AdminFileEntry($0, status: files.status(of: $0), now: files.clock.seconds) }
        return try JSONResponse.make(AdminFilePage(data: Array(page), hasMore: rows.count > query.limit))
    }
}

/// A file as the admin API shows it: the File object's fields and the store's own.
struct AdminFileEntry: Encodable {
    var seq: Int64
    var id: String
    var tenant: String
    var purpose: String
    var filename: String
    var bytes: Int64
    var createdAt: Int64
    var expiresAt: Int64?
    /// Expired but not yet swept files are listed too, and say so.
    var expired: Bool
    var status: String
    var sha256: String?
    var contentType: String?

    init(_ file: StoredFile, status: String, now: Int64) {
        seq = file.sequence
        id = file.id
        tenant = file.tenant
        purpose = file.purpose
        filename = file.filename
        bytes = file.bytes
        createdAt = file.createdAt
        expiresAt = file.expiresAt
        expired = !file.isVisible(at: now)
        self.status = status
        sha256 = file.sha256
        contentType = file.contentType
    }

    enum CodingKeys: String, CodingKey {
        case seq, id, tenant, purpose, filename, bytes, expired, status, sha256
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case contentType = "content_type"
    }

    /// Every key present, `null` when unknown.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(id, forKey: .id)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(filename, forKey: .filename)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(expired, forKey: .expired)
        try container.encode(status, forKey: .status)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(contentType, forKey: .contentType)
    }
}

struct AdminFilePage: Encodable {
    var object = "list"
    var data: [AdminFileEntry]
    var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case object, data
        case hasMore = "has_more"
    }
}
