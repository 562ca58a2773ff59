import DequeModule
import Logging
import NIOConcurrencyHelpers

/// One answered request, as `GET /admin/requests` shows it.
public struct RequestLogEntry: Sendable, Codable {
    public var requestID: String
    /// The instance that answered (`instanceName`), so a log shared by several tells them apart.
    public var instance: String
    public var method: String
    public var path: String
    public var status: Int
    public var tenant: String?
    public var objectID: String?
    public var bytesIn: Int64?
    public var bytesOut: Int64?
    public var durationMilliseconds: Double
    public var timestamp: Double

    enum CodingKeys: String, CodingKey {
        case method, path, status, tenant, timestamp, instance
        case requestID = "request_id"
        case objectID = "object_id"
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
        case durationMilliseconds = "duration_ms"
    }

    /// The fields of the request's log line (absent values left out; the raw key never appears).
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID),
            "method": .string(method),
            "path": .string(path),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((durationMilliseconds * 1000).rounded() / 1000),
        ]
        if let tenant { metadata["tenant"] = .string(tenant) }
        if let objectID { metadata["object_id"] = .string(objectID) }
        if let bytesIn { metadata["bytes_in"] = .stringConvertible(bytesIn) }
        if let bytesOut { metadata["bytes_out"] = .stringConvertible(bytesOut) }
        return metadata
    }

    /// Every key is always present (`null` when unknown), so clients can rely on the shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(instance, forKey: .instance)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try container.encode(status, forKey: .status)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(objectID, forKey: .objectID)
        try container.encode(bytesIn, forKey: .bytesIn)
        try container.encode(bytesOut, forKey: .bytesOut)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(timestamp, forKey: .timestamp)
    }
}

/// The most recent requests, bounded in memory (oldest dropped first).
public final class RequestLog: Sendable {
    private let entries: NIOLockedValueBox<Deque<RequestLogEntry>>
    public let capacity: Int

    public init(capacity: Int = 1000) {
        self.capacity = capacity
        entries = NIOLockedValueBox(Deque())
    }

    public func append(_ entry: RequestLogEntry) {
        entries.withLockedValue { entries in
            entries.append(entry)
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
    }

    /// Newest first.
    public func recent(limit: Int) -> [RequestLogEntry] {
        entries.withLockedValue { Array($0.suffix(limit).reversed()) }
    }

    @discardableResult
    public func clear() -> Int {
        entries.withLockedValue { entries in
            defer { entries.removeAll() }
            return entries.count
        }
    }
}
