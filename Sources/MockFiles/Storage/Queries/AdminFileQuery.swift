/// What `GET /admin/files` asks the store for: files of every tenant, in `seq` order.
public struct AdminFileQuery: Sendable, Equatable {
    public var tenant: String?
    public var purpose: String?
    /// `*` wildcards, everything else literal (as in fault rules).
    public var filenamePattern: String?
    public var sha256: String?
    public var createdSince: Int64?
    /// Start strictly after this `seq`.
    public var afterSequence: Int64 = 0
    public var limit: Int = 100

    public init() {}
}
