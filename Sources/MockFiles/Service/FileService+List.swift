/// `GET /v1/files` parameters, validated.
public struct FileListParameters: Sendable, Equatable {
    public static let maximumLimit = 10_000

    public var purpose: String?
    public var limit: Int
    public var order: FileListQuery.Order
    public var after: String?

    public init(purpose: String? = nil, limit: Int = maximumLimit, order: FileListQuery.Order = .desc, after: String? = nil) {
        self.purpose = purpose
        self.limit = limit
        self.order = order
        self.after = after
    }

    /// Parses query items; every bad value is a 400 naming its parameter.
    public init(query: [String: String]) throws(APIError) {
        self.init()
        if let purpose = query["purpose"], !purpose.isEmpty { self.purpose = purpose }
        if let rawLimit = query["limit"] {
            guard let limit = Int(rawLimit), (1...Self.maximumLimit).contains(limit) else {
                throw .invalid(
                    "Invalid value for 'limit': '\(rawLimit)'. It must be an integer between 1 and \(Self.maximumLimit).",
                    param: "limit",
                    code: "integer_out_of_range"
                )
            }
            self.limit = limit
        }
        if let rawOrder = query["order"] {
            guard let order = FileListQuery.Order(rawValue: rawOrder) else {
                throw .invalid("Invalid value for 'order': '\(rawOrder)'. It must be one of 'asc', 'desc'.", param: "order")
            }
            self.order = order
        }
        if let after = query["after"], !after.isEmpty { self.after = after }
    }
}

/// One page of files.
public struct FilePage: Sendable {
    public var files: [StoredFile]
    public var hasMore: Bool
}

extension FileService {
    public func list(_ parameters: FileListParameters, tenant: Tenant) async throws -> FilePage {
        var cursor: ListCursor?
        if let after = parameters.after {
            guard let position = try await metadata.cursor(ofFileID: after, tenant: tenant.key) else {
                throw APIError.invalid("Invalid value for 'after': no file '\(after)' to continue from.", param: "after")
            }
            cursor = position
        }
        let query = FileListQuery(
            tenant: tenant.key,
            purpose: parameters.purpose,
            order: parameters.order,
            limit: parameters.limit + 1,
            after: cursor,
            now: clock.seconds
        )
        var files = try await metadata.list(query)
        let hasMore = files.count > parameters.limit
        if hasMore { files.removeLast() }
        return FilePage(files: files, hasMore: hasMore)
    }
}
