import HTTPTypes

/// `GET /v1/files` parameters, validated.
public struct FileListParameters: Sendable, Equatable {
    public static let maximumLimit = 10_000

    public var purpose: String?
    public var limit: Int
    public var order: FileListQuery.Order
    public var after: String?
    /// The dashboard's filename filter; not a parameter of the API.
    public var filenameContains: String?

    public init(purpose: String? = nil, limit: Int = maximumLimit, order: FileListQuery.Order = .desc, after: String? = nil) {
        self.purpose = purpose
        self.limit = limit
        self.order = order
        self.after = after
    }

    /// Parses query items; every bad value is a 400 naming its parameter, worded with the real
    /// service's templates for integer bounds and enum values (docs/fidelity.md, "Where mockfiles' answers come from").
    public init(query: [String: String]) throws(APIError) {
        self.init()
        if let purpose = query["purpose"], !purpose.isEmpty {
            guard Purpose(rawValue: purpose) != nil else {
                throw .notOneOf(purpose, Purpose.allCases.map(\.rawValue), param: "purpose")
            }
            self.purpose = purpose
        }
        if let rawLimit = query["limit"] { limit = try ListLimit.parse(rawLimit, maximum: Self.maximumLimit) }
        if let rawOrder = query["order"] {
            guard let order = FileListQuery.Order(rawValue: rawOrder) else {
                throw .notOneOf(rawOrder, ["asc", "desc"], param: "order")
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
        let query = listQuery(parameters, tenant: tenant, after: nil)
        guard let after = parameters.after else { return Self.page(try await store.reads.list(query), limit: parameters.limit) }
        guard let files = try await store.reads.list(query, afterFileID: after) else { throw Self.noAfterFile(after) }
        return Self.page(files, limit: parameters.limit)
    }

    /// `list` on the calling thread, from a store that reads at once (`DirectFileReads`).
    func list(_ parameters: FileListParameters, tenant: Tenant, from store: any ImmediateFileReads) throws -> FilePage {
        var cursor: ListCursor?
        if let after = parameters.after {
            guard let position = try store.cursorNow(ofFileID: after, tenant: tenant.key) else { throw Self.noAfterFile(after) }
            cursor = position
        }
        return Self.page(try store.listNow(listQuery(parameters, tenant: tenant, after: cursor)), limit: parameters.limit)
    }

    /// One row more than the page, to learn whether there are more.
    func listQuery(_ parameters: FileListParameters, tenant: Tenant, after cursor: ListCursor?) -> FileListQuery {
        var query = FileListQuery(
            tenant: tenant.key,
            purpose: parameters.purpose,
            order: parameters.order,
            limit: parameters.limit + 1,
            after: cursor,
            now: clock.seconds
        )
        query.filenameContains = parameters.filenameContains
        return query
    }

    static func page(_ rows: [StoredFile], limit: Int) -> FilePage {
        var files = rows
        let hasMore = files.count > limit
        if hasMore { files.removeLast() }
        return FilePage(files: files, hasMore: hasMore)
    }

    private static func noAfterFile(_ id: String) -> APIError {
        APIError(status: .notFound, message: "No such File object: \(id)", param: "after")
    }
}
