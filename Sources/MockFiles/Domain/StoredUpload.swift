/// An Upload as the store keeps it (`POST /v1/uploads`). Its own expiry is one hour; the
/// File it becomes gets `fileLifetimeSeconds` (from `expires_after` or the purpose's default).
public struct StoredUpload: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, completed, cancelled
    }

    public var id: String
    public var tenant: String
    public var filename: String
    public var purpose: String
    public var bytes: Int64
    public var mimeType: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var fileLifetimeSeconds: Int64?
    public var status: Status
    public var fileID: String?

    /// What the API shows: a pending upload past its expiry is `expired`.
    public func visibleStatus(at now: Int64) -> String {
        if status == .pending && now >= expiresAt { return "expired" }
        return status.rawValue
    }

    public func isOpen(at now: Int64) -> Bool { visibleStatus(at: now) == "pending" }
}

/// One part of an Upload; its bytes are a blob named by the part id.
public struct StoredPart: Sendable, Equatable {
    public var id: String
    public var uploadID: String
    public var bytes: Int64
    public var createdAt: Int64
}
