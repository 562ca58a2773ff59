import DequeModule
import Logging
import NIOConcurrencyHelpers

/// One answered request, as `GET /admin/requests` shows it.
public struct RequestLogEntry: Sendable, Codable {
    /// The error envelope's fields, when the answer was one.
    public struct ErrorSummary: Sendable, Codable, Equatable {
        public var type: String
        public var code: String?
        public var param: String?

        /// `code` and `param` are always present, `null` or not, as in the envelope itself.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(code, forKey: .code)
            try container.encode(param, forKey: .param)
        }
    }

    /// A request the server answered, or one it sent (a webhook delivery: `path` is the URL).
    public enum Direction: String, Sendable, Codable {
        case incoming, outgoing
    }

    /// Increases with every entry the log takes; the `after` cursor of a query.
    public var sequence: Int64 = 0
    public var requestID: String
    /// The instance that answered (`instanceName`), so a log shared by several tells them apart.
    public var instance: String
    public var method: String
    public var path: String
    public var status: Int
    public var tenant: String?
    /// The last 4 characters of the API key sent (none for a key of 4 or fewer: that would be it).
    public var apiKeyHint: String?
    public var objectID: String?
    /// The `Content-Type` header as sent.
    public var contentType: String?
    /// The multipart fields' names in the order sent (nil when the body was not multipart).
    public var multipartFields: [String]?
    public var error: ErrorSummary?
    public var bytesIn: Int64?
    public var bytesOut: Int64?
    public var durationMilliseconds: Double
    public var timestamp: Double
    public var direction = Direction.incoming

    enum CodingKeys: String, CodingKey {
        case method, path, status, tenant, timestamp, instance, error, direction
        case sequence = "seq"
        case requestID = "request_id"
        case apiKeyHint = "api_key_hint"
        case objectID = "object_id"
        case contentType = "content_type"
        case multipartFields = "multipart_fields"
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
        if let code = error?.code { metadata["error_code"] = .string(code) }
        return metadata
    }

    /// Every key is always present (`null` when unknown), so clients can rely on the shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(instance, forKey: .instance)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try container.encode(status, forKey: .status)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(apiKeyHint, forKey: .apiKeyHint)
        try container.encode(objectID, forKey: .objectID)
        try container.encode(contentType, forKey: .contentType)
        try container.encode(multipartFields, forKey: .multipartFields)
        try container.encode(error, forKey: .error)
        try container.encode(bytesIn, forKey: .bytesIn)
        try container.encode(bytesOut, forKey: .bytesOut)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(direction, forKey: .direction)
    }
}

extension RequestLogEntry {
    /// Rows a shared log wrote before a field existed decode with it absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try container.decodeIfPresent(Int64.self, forKey: .sequence) ?? 0
        requestID = try container.decode(String.self, forKey: .requestID)
        instance = try container.decode(String.self, forKey: .instance)
        method = try container.decode(String.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        status = try container.decode(Int.self, forKey: .status)
        tenant = try container.decodeIfPresent(String.self, forKey: .tenant)
        apiKeyHint = try container.decodeIfPresent(String.self, forKey: .apiKeyHint)
        objectID = try container.decodeIfPresent(String.self, forKey: .objectID)
        contentType = try container.decodeIfPresent(String.self, forKey: .contentType)
        multipartFields = try container.decodeIfPresent([String].self, forKey: .multipartFields)
        error = try container.decodeIfPresent(ErrorSummary.self, forKey: .error)
        bytesIn = try container.decodeIfPresent(Int64.self, forKey: .bytesIn)
        bytesOut = try container.decodeIfPresent(Int64.self, forKey: .bytesOut)
        durationMilliseconds = try container.decode(Double.self, forKey: .durationMilliseconds)
        timestamp = try container.decode(Double.self, forKey: .timestamp)
        direction = try container.decodeIfPresent(Direction.self, forKey: .direction) ?? .incoming
    }
}

/// The most recent requests, bounded in memory (oldest dropped first, and counted).
public final class RequestLog: Sendable {
    private struct State {
        var entries = Deque<RequestLogEntry>()
        var nextSequence: Int64 = 1
        var dropped = 0
    }

    private let state = NIOLockedValueBox(State())
    public let capacity: Int

    public init(capacity: Int = 1000) {
        self.capacity = capacity
    }

    public func append(_ entry: RequestLogEntry) {
        state.withLockedValue { state in
            var entry = entry
            entry.sequence = state.nextSequence
            state.nextSequence += 1
            state.entries.append(entry)
            if state.entries.count > capacity {
                state.dropped += state.entries.count - capacity
                state.entries.removeFirst(state.entries.count - capacity)
            }
        }
    }

    /// Everything held, newest first, with the count dropped since the last clear.
    public func journal() -> RequestJournal {
        state.withLockedValue { RequestJournal(entries: Array($0.entries.reversed()), dropped: $0.dropped) }
    }

    /// Empties the log; numbering goes on, so a cursor from before never matches a later entry.
    @discardableResult
    public func clear() -> Int {
        state.withLockedValue { state in
            defer {
                state.entries.removeAll()
                state.dropped = 0
            }
            return state.entries.count
        }
    }
}

extension Duration {
    /// In milliseconds with their fraction: an entry's `duration_ms`.
    var inMilliseconds: Double { Double(components.attoseconds) / 1e15 + Double(components.seconds) * 1000 }
}
