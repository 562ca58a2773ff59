/// What the list endpoint asks the store for.
public struct FileListQuery: Sendable, Equatable {
    public enum Order: String, Sendable { case asc, desc }

    public var tenant: String
    public var purpose: String?
    public var order: Order
    /// Rows to return; the store returns at most this many.
    public var limit: Int
    /// Start strictly after this position (in `order`).
    public var after: ListCursor?
    /// Files expired at this instant are left out.
    public var now: Int64
    /// Only files whose name contains this text, ignoring case (the dashboard's filter; the API
    /// has no such parameter). Rows are read in list order until the page fills.
    public var filenameContains: String?

    public init(tenant: String, purpose: String? = nil, order: Order = .desc, limit: Int, after: ListCursor? = nil, now: Int64) {
        self.tenant = tenant
        self.purpose = purpose
        self.order = order
        self.limit = limit
        self.after = after
        self.now = now
    }
}

extension FileListQuery {
    /// `filenameContains` as a LIKE pattern: any name holding the text.
    var filenameLikePattern: String? {
        guard let text = filenameContains, !text.isEmpty else { return nil }
        return "%" + LikePattern.of(text) + "%"
    }
}
